-- wrk script: POST one fraud row to the Open Inference Protocol's /v2 infer
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs":[{"name":"features","shape":[1,32],"datatype":"FP32","data":[0.5,-1.2,0.3,0.8,-0.4,1.1,0.0,-0.7,0.2,0.9,-1.5,0.6,0.1,-0.3,1.4,-0.8,0.7,0.2,-0.9,0.4,1.0,-0.1,0.3,-1.1,0.5,0.8,-0.6,0.2,1.3,-0.5,0.0,0.9]}]}'
wrk.path = "/v2/models/fraud/infer"
