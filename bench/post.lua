-- bench/post.lua: wrk script for bench/gateway, one chat completion a request:
-- POST BENCH_BODY (default: "hello" to the configured model) with the token in
-- BENCH_TOKEN as a bearer.
local token = os.getenv("BENCH_TOKEN")
if not token or token == "" then
	error("bench/post.lua: set BENCH_TOKEN")
end
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or
	'{"model":"claw","messages":[{"role":"user","content":"hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
