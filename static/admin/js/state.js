// The signed-in operator (GET /admin/me: roles and the rights they carry) and the operators' names.
//
// The rights come from the server (app/auth/operator_roles.py), so the page never keeps its own
// copy of the table: what a role may not do is not offered, and the API refuses it anyway.
export const state = {me: null, names: new Map(), user: null};

export const may = (right) => Boolean(state.me) && state.me.rights.includes(right);

// An operator's id as a name where we know it ("Fiona Finance"), else the id itself.
export const nameOf = (id) => state.names.get(id) || id || "";
