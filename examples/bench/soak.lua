-- wrk script for examples/bench/soak.sh: POST one fraud row to /v1, each connection pausing DELAY_MS between
-- requests (so C connections make about C * 1000 / DELAY_MS requests/s); the 32 features are drawn from a
-- fixed pool of 20,000 rows, so the service's cache (10,000 entries) both hits and keeps evicting.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.path = "/v1/models/fraud/predict"
local pause = tonumber(os.getenv("DELAY_MS") or "10")
local counter = 0
function init(args)
  counter = tonumber(args[1] or "0") * 7919
end
function delay()
  return pause
end
function request()
  counter = counter + 1
  local row = (counter * 2654435761) % 20000
  local f = {}
  for i = 1, 32 do
    f[i] = string.format("%.3f", ((row * 31 + i * 17) % 2001) / 1000.0 - 1.0)
  end
  return wrk.format(nil, nil, nil, '{"features":[' .. table.concat(f, ",") .. ']}')
end
function done(summary, latency, requests)
  io.write(string.format("soak: %d requests, %d errors (connect %d, read %d, write %d, status %d, timeout %d)\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
    + summary.errors.timeout, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
  for _, p in pairs({50, 99, 99.9}) do
    io.write(string.format("soak: p%g %.2f ms\n", p, latency:percentile(p) / 1000.0))
  end
end
