-- wrk script: the /v1 POST of v1.lua, counting answers by status (for the overload run)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"features":[0.5,-1.2,0.3,0.8,-0.4,1.1,0.0,-0.7,0.2,0.9,-1.5,0.6,0.1,-0.3,1.4,-0.8,0.7,0.2,-0.9,0.4,1.0,-0.1,0.3,-1.1,0.5,0.8,-0.6,0.2,1.3,-0.5,0.0,0.9]}'
wrk.path = "/v1/models/fraud/predict"
local counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() statuses = {} end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done()
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do counts[k] = (counts[k] or 0) + v end
  end
  for k, v in pairs(counts) do io.write(string.format("status %d: %d\n", k, v)) end
end
