-- wrk script: GET /health/live, answered on the event loop with a fixed body (no JSON, no model): the ceiling of
-- the service's HTTP path on this machine
wrk.method = "GET"
wrk.path = "/health/live"
