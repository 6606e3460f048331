-- Runs the rendered pre-function and post-function under LuaJIT against a stubbed `kong` PDK
-- (only the calls they make, with Kong 3.9.3's semantics: header names are case-insensitive and
-- kong.service.request.* changes the request headers that kong.request.* and nginx's $http_*
-- then read). The environment holds only `kong`, `string`, `pairs` and `ipairs`: any other
-- global (ngx, require, ...) fails, as it would in Kong's `untrusted_lua` sandbox.
-- Usage: luajit serverless-harness.lua <params.lua>; prints "ok" / "not ok" lines (TAP-like).
local params = dofile(arg[1])
local failures, count = 0, 0

local function check(name, cond, detail)
  count = count + 1
  if cond then
    print("ok " .. count .. " " .. name)
  else
    failures = failures + 1
    print("not ok " .. count .. " " .. name .. (detail and (": " .. detail) or ""))
  end
end

local EXIT = {}

-- A fresh stubbed kong for one request.
local function stub(req)
  local headers = {}
  for k, v in pairs(req.headers or {}) do headers[string.lower(k)] = v end
  local query = req.query or {}
  local state = { headers = headers, exit = nil, shared = req.shared or {} }
  local function limit(n)
    assert(n == nil or (n >= 1 and n <= 1000), "max_headers / max_args must be 1..1000 (PDK)")
  end
  -- Like the PDK: at most n entries (which ones is up to the table order), the rest dropped.
  local function upto(t, n)
    local copy, count = {}, 0
    for k, v in pairs(t) do
      if count >= (n or 100) then break end
      copy[k] = v; count = count + 1
    end
    return copy
  end
  state.kong = {
    request = {
      get_headers = function(n) limit(n); return upto(headers, n) end,
      get_header = function(name) return headers[string.lower(name)] end,
      get_query = function(n) limit(n); return upto(query, n) end,
      get_raw_query = function() return req.raw_query or "" end,
    },
    service = { request = {
      set_header = function(name, value) headers[string.lower(name)] = value end,
      clear_header = function(name) headers[string.lower(name)] = nil end,
    } },
    response = {
      exit = function(status, body, h) state.exit = { kind = "exit", status = status, body = body, headers = h }; return EXIT end,
      error = function(status, message, h) state.exit = { kind = "error", status = status, message = message, headers = h }; return EXIT end,
    },
    client = {
      get_consumer = function() return req.consumer end,
      get_credential = function() return req.credential end,
    },
    ctx = { shared = state.shared },
  }
  return state
end

local function run(code, req)
  local fn, err = loadstring(code)
  assert(fn, err)
  local state = stub(req)
  setfenv(fn, { kong = state.kong, string = string, pairs = pairs, ipairs = ipairs })
  local ok, e = pcall(fn)
  state.ok, state.err = ok, e
  return state
end

local pre, post = params.pre, params.post

-- pre-function -------------------------------------------------------------------------------
do
  local s = run(pre, { headers = { ["X-Consumer-Username"] = "admin", ["X-Consumer-ID"] = "1",
    ["X-Consumer-Custom-ID"] = "c", ["X-Credential-Identifier"] = "k", ["X-Anonymous-Consumer"] = "false",
    ["X-Authenticated-Groups"] = "g", ["X-Request-Tag"] = "keep", ["Content-Type"] = "application/json" } })
  check("pre: runs in the sandbox", s.ok, tostring(s.err))
  local left = {}
  for k in pairs(s.headers) do if string.find(k, "^x%-consumer") or string.find(k, "^x%-credential")
    or string.find(k, "^x%-anonymous") or string.find(k, "^x%-authenticated") then left[#left + 1] = k end end
  check("pre: clears every client-sent identity header", #left == 0, table.concat(left, ","))
  check("pre: leaves other headers alone", s.headers["x-request-tag"] == "keep" and s.headers["content-type"] == "application/json")
  check("pre: no answer for a plain request", s.exit == nil)
end

do
  -- 1,200 padding headers: past get_headers' 1000, the identity headers are still cleared by name.
  local h = { ["X-Consumer-Username"] = "admin", ["X-Anonymous-Consumer"] = "true" }
  for i = 1, 1200 do h["x-pad-" .. i] = "p" end
  local s = run(pre, { headers = h })
  check("pre: identity headers cleared even past 1000 headers",
    s.headers["x-consumer-username"] == nil and s.headers["x-anonymous-consumer"] == nil)
  -- A key as the 1,201st query argument: get_query never returns it, the raw query does.
  local q, raw = {}, {}
  for i = 1, 1200 do q["p" .. i] = "1"; raw[#raw + 1] = "p" .. i .. "=1" end
  raw[#raw + 1] = "ApiKey=k"
  s = run(pre, { query = q, raw_query = table.concat(raw, "&") })
  check("pre: 400 for a key past get_query's 1000 arguments", s.exit and s.exit.status == 400)
  s = run(pre, { query = q, raw_query = table.concat(raw, "&", 1, 1200) .. "&apikeys=1&xapikey=2" })
  check("pre: no 400 for names that only contain a key name", s.exit == nil)
end

for _, q in ipairs({ { apikey = "k" }, { APIKEY = "k" }, { ["x-api-key"] = "k" }, { ["X-Api-Key"] = true } }) do
  local name = next(q)
  local s = run(pre, { query = q })
  check("pre: 400 JSON for ?" .. name, s.ok and s.exit and s.exit.kind == "exit" and s.exit.status == 400
    and type(s.exit.body) == "table" and s.exit.body.message == params.query_message)
end
do
  local s = run(pre, { query = { model = "x", api = "y" } })
  check("pre: other query arguments pass", s.ok and s.exit == nil)
end

do
  local s = run(pre, { headers = { Authorization = "Bearer sk-123" } })
  check("pre: Bearer token moved to apikey", s.headers["apikey"] == "sk-123" and s.headers["authorization"] == nil)
  check("pre: a Bearer key counts as offered", s.shared[params.flag] == true)
  s = run(pre, { headers = { Authorization = "Basic dXNlcjpwYXNz" } })
  check("pre: another scheme is dropped, nothing mapped", s.headers["authorization"] == nil and s.headers["apikey"] == nil)
  check("pre: no key offered with Basic", s.shared[params.flag] == nil)
  s = run(pre, { headers = { ["x-api-key"] = "k" } })
  check("pre: x-api-key counts as offered", s.shared[params.flag] == true)
  s = run(pre, { headers = { apikey = "" } })
  check("pre: an empty apikey is no key (key-auth: No API key found)", s.shared[params.flag] == nil)
  s = run(pre, {})
  check("pre: no header, no key offered", s.shared[params.flag] == nil)
end

-- post-function ------------------------------------------------------------------------------
local creds = { apikey = "k1", ["x-api-key"] = "k2", Authorization = "Bearer k3", ["X-Consumer-Username"] = "acme" }
do
  local s = run(post, { headers = creds, consumer = { id = "c-1", username = "acme" }, credential = { id = "cred-1" } })
  check("post: runs in the sandbox", s.ok, tostring(s.err))
  check("post: a valid key is proxied (no answer)", s.exit == nil)
  check("post: every key header and Authorization removed",
    s.headers["apikey"] == nil and s.headers["x-api-key"] == nil and s.headers["authorization"] == nil)
  check("post: key-auth's consumer header stays", s.headers["x-consumer-username"] == "acme")
end

local function is401(s, message)
  return s.ok and s.exit and s.exit.kind == "error" and s.exit.status == 401 and s.exit.message == message
    and s.exit.headers and s.exit.headers["WWW-Authenticate"] == params.www_authenticate
end
do
  local guard = { id = params.guard_id, custom_id = "key-guard" }
  local s = run(post, { consumer = guard })
  check("post: the guard without a key gets key-auth's no-key 401 (kong.response.error) and the challenge",
    is401(s, params.no_key_message), s.exit and tostring(s.exit.message))
  s = run(post, { consumer = guard, shared = { [params.flag] = true } })
  check("post: the guard with a wrong key gets 401 Unauthorized and the challenge",
    is401(s, params.wrong_key_message), s.exit and tostring(s.exit.message))
  s = run(post, { consumer = guard, credential = { id = "x" } })
  check("post: the guard is refused even with a credential object", is401(s, params.no_key_message))
  s = run(post, { consumer = nil, credential = nil })
  check("post: fails closed without any consumer or credential", is401(s, params.no_key_message))
end

print(string.format("# %d checks, %d failed", count, failures))
os.exit(failures == 0 and 0 or 1)
