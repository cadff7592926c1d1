-- wrk script: POST one fraud row to /v1 (with --cache-size 0 every request reaches the engine)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"features":[0.5,-1.2,0.3,0.8,-0.4,1.1,0.0,-0.7,0.2,0.9,-1.5,0.6,0.1,-0.3,1.4,-0.8,0.7,0.2,-0.9,0.4,1.0,-0.1,0.3,-1.1,0.5,0.8,-0.6,0.2,1.3,-0.5,0.0,0.9]}'
wrk.path = "/v1/models/fraud/predict"
