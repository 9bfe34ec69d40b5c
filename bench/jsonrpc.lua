-- wrk script for bench/run.sh: every request POSTs one JSON-RPC body (a single request or a batch) as
-- application/json. The body is read from the file named by RPC_BODY_FILE, so batches of any size work.
-- With WRK_DELAY_MS set (> 0), each connection pauses that many milliseconds after every answer: a fixed,
-- moderate load at which latency is measured without the queueing of a saturated run.
local path = os.getenv("RPC_BODY_FILE")
if path == nil or path == "" then
  error("RPC_BODY_FILE is not set (bench/run.sh sets it)")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

local pause = tonumber(os.getenv("WRK_DELAY_MS") or "")
if pause ~= nil and pause > 0 then
  -- Only defined when pacing: wrk schedules a timer per request whenever delay() exists.
  function delay()
    return pause
  end
end
