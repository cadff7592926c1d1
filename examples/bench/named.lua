-- wrk script: POST the request body in the file $BODY to the path $WRK_PATH (default /v1/models/fraud/predict);
-- examples/bench/tools.sh writes bodies of the form and size jinfer bench --url sends (generated float32 features)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.path = os.getenv("WRK_PATH") or "/v1/models/fraud/predict"
