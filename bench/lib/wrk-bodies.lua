-- Counts response bodies by the version they name. Caddy answers 200 with an
-- empty body for a host no route matches, so a lost route would pass wrk's
-- status-code count; "other" catches it.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  v1, v2, other = 0, 0, 0
end

function response(status, headers, body)
  if body:find("wharf%-test v1") then
    v1 = v1 + 1
  elseif body:find("wharf%-test v2") then
    v2 = v2 + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("v1")
    b = b + t:get("v2")
    c = c + t:get("other")
  end
  io.write(string.format("BODIES v1=%d v2=%d other=%d\n", a, b, c))
end
