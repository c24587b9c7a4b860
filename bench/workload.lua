-- wrk script for python -m bench. Arguments: workload, data directory, run id, currency,
-- wrk thread count, payment-code period (s).
-- users.tsv: "<access token>\t<wallet id>" per line; payloads.txt: one JSON string per line.
-- Each request: a random signed-in user; money-moving POSTs get a unique Idempotency-Key.
-- pos_charge: ready signed requests from pos_charges.tsv (written by bench/pos.py, which explains
-- the format); a line's code is valid in its TOTP step only, and usable once.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- This thread's share of each step's lines (the k-th line of a step goes to thread k mod T + 1,
-- so threads never send the same code), and how many it has taken (reported in done()).
local function load_charges()
  charges, pos_taken, pos_waits = {}, {}, 0
  local seen = {}
  for line in io.lines(dir .. "/pos_charges.tsv") do
    local step, terminal, ts, nonce, sig, key, body =
      line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
    step = tonumber(step)
    seen[step] = (seen[step] or 0) + 1
    if (seen[step] - 1) % nthreads == tid - 1 then
      charges[step] = charges[step] or {}
      table.insert(charges[step], { body, { ["Content-Type"] = "application/json", ["X-Terminal-Id"] = terminal,
        ["X-Timestamp"] = ts, ["X-Nonce"] = nonce, ["X-Signature"] = sig, ["Idempotency-Key"] = key } })
    end
  end
end

local function current_step() return math.floor(os.time() / period) end

local function charges_left(step)
  local group = charges[step]
  return group ~= nil and (pos_taken[step] or 0) < #group
end

-- Called before each request (pos_charge only; init removes it otherwise, so the other
-- workloads keep wrk's plain loop): when this step's codes are used up, wait for the next
-- step. os.time() has whole seconds, so the wait may end up to 1 s after the step starts.
function delay()
  local step = current_step()
  if charges_left(step) then return 0 end
  pos_waits = pos_waits + 1
  return math.max(1, (step + 1) * period - os.time()) * 1000
end

function init(args)
  workload, dir, run_id, currency = args[1], args[2], args[3], args[4]
  nthreads, period = tonumber(args[5]), tonumber(args[6])
  starved = 0
  if workload == "pos_charge" then load_charges() else delay = nil end
  users = {}
  for line in io.lines(dir .. "/users.tsv") do
    local token, wallet = line:match("^([^\t]+)\t([^\t]+)$")
    users[#users + 1] = { "Bearer " .. token, wallet }
  end
  payloads = {}
  for line in io.lines(dir .. "/payloads.txt") do payloads[#payloads + 1] = line end
  math.randomseed(os.time() * 100 + tid)
  counter, ok, s402, other, first_error, first_402 = 0, 0, 0, 0, "", ""
end

local function post(path, user, body)
  counter = counter + 1
  local headers = { ["Authorization"] = user[1], ["Content-Type"] = "application/json",
                    ["Idempotency-Key"] = run_id .. "-" .. tid .. "-" .. counter }
  return wrk.format("POST", path, headers, body)
end

local function charge()
  local step = current_step()
  if not charges_left(step) then
    -- Another connection took the last code since delay() looked (or the file ran out): a cheap
    -- probe instead, answered 200 (charges are 201) and left out of every figure.
    starved = starved + 1
    return wrk.format("GET", "/healthz")
  end
  local i = (pos_taken[step] or 0) + 1
  pos_taken[step] = i
  local line = charges[step][i]
  return wrk.format("POST", "/api/v1/pos/charges", line[2], line[1])
end

function request()
  if workload == "pos_charge" then return charge() end
  local user = users[math.random(#users)]
  if workload == "history" then
    return wrk.format("GET", "/api/v1/wallets/" .. user[2] .. "/transactions?limit=20",
                      { ["Authorization"] = user[1] })
  end
  -- References, not payments: a signed-in read of one row, and the framework alone.
  if workload == "wallet_read" then
    return wrk.format("GET", "/api/v1/wallets/" .. user[2], { ["Authorization"] = user[1] })
  end
  if workload == "healthz" then return wrk.format("GET", "/healthz") end
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
  if status == 200 and workload == "pos_charge" then
    return  -- a probe (see charge())
  elseif status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 402 then
    s402 = s402 + 1
    if first_402 == "" then first_402 = string.sub(body or "", 1, 300) end
  else
    other = other + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local totals = { ok = 0, s402 = 0, other = 0, starved = 0 }
  local sample, sample_402 = "", ""
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do totals[key] = totals[key] + thread:get(key) end
    if sample == "" then sample = thread:get("first_error") end
    if sample_402 == "" then sample_402 = thread:get("first_402") end
    if thread:get("workload") == "pos_charge" then  -- done() runs in wrk's main state: no init()
      io.write(string.format("BENCH pos_waits %d\n", thread:get("pos_waits")))
      for step, n in pairs(thread:get("pos_taken")) do
        io.write(string.format("BENCH pos_taken %d %d %d\n", step, thread:get("tid"), n))
      end
    end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests %d\nBENCH duration_us %d\n", summary.requests, summary.duration))
  io.write(string.format("BENCH ok %d\nBENCH s402 %d\nBENCH other %d\n", totals.ok, totals.s402, totals.other))
  io.write(string.format("BENCH starved %d\n", totals.starved))
  io.write(string.format("BENCH timeouts %d\nBENCH socket_errors %d\n", e.timeout, e.connect + e.read + e.write))
  for _, p in ipairs({ 50, 90, 95, 99, 99.9 }) do
    io.write(string.format("BENCH p%s_us %d\n", tostring(p), latency:percentile(p)))
  end
  io.write(string.format("BENCH mean_us %d\nBENCH max_us %d\n", latency.mean, latency.max))
  io.write("BENCH error_sample " .. string.gsub(sample, "\n", " ") .. "\n")
  io.write("BENCH sample_402 " .. string.gsub(sample_402, "\n", " ") .. "\n")
end
