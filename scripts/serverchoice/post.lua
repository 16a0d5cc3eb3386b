wrk.method = "POST"
wrk.body = '{"kind":"in"}'
wrk.headers["Content-Type"] = "application/json"
