// A table filled a page at a time on the API's cursor: sales and orders share it.
import * as api from "../../wallet/js/api.js";
import {$} from "../../wallet/js/ui.js";

export const PAGE = 25;

// ids: the table, the "that is all" line and the "Show more" button; row: one item -> <tr>.
export function pager({table, end, more, row, empty}) {
  let path = null, query = null, cursor = null;

  async function next() {
    const params = new URLSearchParams(query);
    params.set("limit", String(PAGE));
    if (cursor) params.set("cursor", cursor);
    const page = await api.get(`${path}?${params}`);
    const body = $(`${table} tbody`);
    body.append(...page.data.map(row));
    cursor = page.next_cursor;
    $(more).hidden = !page.has_more;
    $(end).textContent = page.has_more ? "" : (body.children.length ? "That is all." : empty);
  }

  async function restart(newPath, newQuery) {
    path = newPath;
    query = newQuery;
    cursor = null;
    $(`${table} tbody`).replaceChildren();
    await next();
  }

  return {next, restart};
}
