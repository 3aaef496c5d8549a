-- wrk script: POST the AdmissionReview named by $SG_BENCH_BODY with Content-Type application/json.
local f = assert(io.open(os.getenv("SG_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

-- Count non-200 answers so the figures never hide errors.
local bad = 0
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("SG_P50_US %d\nSG_P99_US %d\nSG_REQS %d\nSG_ERRORS %d\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
