-- wrk script for bench/bench_serve.py: POSTs fixed JSON bodies in rotation.
-- Usage: wrk -t1 -c8 -d5s --latency -s post_bodies.lua URL -- BODIES_FILE
-- BODIES_FILE holds one JSON request body per line; the requests are formatted once, in init.
local requests = {}
local count = 0
local index = 0

function init(args)
    local path = args[1]
    if path == nil then
        error("usage: wrk ... -s post_bodies.lua URL -- BODIES_FILE")
    end
    local headers = { ["Content-Type"] = "application/json" }
    for line in io.lines(path) do
        if #line > 0 then
            count = count + 1
            requests[count] = wrk.format("POST", nil, headers, line)
        end
    end
    if count == 0 then
        error("no request bodies in " .. path)
    end
end

function request()
    index = index % count + 1
    return requests[index]
end
