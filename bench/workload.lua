-- wrk script for python -m bench. Arguments: workload, data directory, run id, currency.
-- users.tsv: "<access token>\t<wallet id>" per line; payloads.txt: one JSON string per line.
-- Each request: a random signed-in user; money-moving POSTs get a unique Idempotency-Key.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  workload, dir, run_id, currency = args[1], args[2], args[3], args[4]
  users = {}
  for line in io.lines(dir .. "/users.tsv") do
    local token, wallet = line:match("^([^\t]+)\t([^\t]+)$")
    users[#users + 1] = { "Bearer " .. token, wallet }
  end
  payloads = {}
  for line in io.lines(dir .. "/payloads.txt") do payloads[#payloads + 1] = line end
  math.randomseed(os.time() * 100 + tid)
  counter, ok, s402, other, first_error = 0, 0, 0, 0, ""
end

local function post(path, user, body)
  counter = counter + 1
  local headers = { ["Authorization"] = user[1], ["Content-Type"] = "application/json",
                    ["Idempotency-Key"] = run_id .. "-" .. tid .. "-" .. counter }
  return wrk.format("POST", path, headers, body)
end

function request()
  local user = users[math.random(#users)]
  if workload == "history" then
    return wrk.format("GET", "/api/v1/wallets/" .. user[2] .. "/transactions?limit=20",
                      { ["Authorization"] = user[1] })
  end
  local amount = math.random(1, 999)
  if workload == "p2p" then
    local to = users[math.random(#users)]
    while to == user do to = users[math.random(#users)] end
    return post("/api/v1/transfers", user, string.format(
      '{"to":"%s","amount":%d,"currency":"%s"}', to[2], amount, currency))
  end
  local payload = payloads[1]
  if workload == "qr_spread" then payload = payloads[math.random(#payloads)] end
  return post("/api/v1/qr/payments", user, string.format(
    '{"payload":%s,"wallet_id":"%s","amount":%d}', payload, user[2], amount))
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 402 then
    s402 = s402 + 1
  else
    other = other + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local totals = { ok = 0, s402 = 0, other = 0 }
  local sample = ""
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do totals[key] = totals[key] + thread:get(key) end
    if sample == "" then sample = thread:get("first_error") end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests %d\nBENCH duration_us %d\n", summary.requests, summary.duration))
  io.write(string.format("BENCH ok %d\nBENCH s402 %d\nBENCH other %d\n", totals.ok, totals.s402, totals.other))
  io.write(string.format("BENCH timeouts %d\nBENCH socket_errors %d\n", e.timeout, e.connect + e.read + e.write))
  for _, p in ipairs({ 50, 90, 95, 99, 99.9 }) do
    io.write(string.format("BENCH p%s_us %d\n", tostring(p), latency:percentile(p)))
  end
  io.write(string.format("BENCH mean_us %d\nBENCH max_us %d\n", latency.mean, latency.max))
  io.write("BENCH error_sample " .. string.gsub(sample, "\n", " ") .. "\n")
end
