-- wrk: POST a new Meta-shaped status batch on every request, as Meta does: new wamids, recipients,
-- callback data and timestamps each time, three statuses (sent, delivered, read) each with `conversation`
-- and `pricing`, signed per request with HMAC-SHA256 (libcrypto through LuaJIT's FFI, so the client is not
-- the bottleneck). WHATSAPP_APP_SECRET comes from the environment; RATE_DELAY_MS (optional) paces each
-- connection. Each wrk thread numbers its own bodies; no two requests of a run carry the same body.
local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *d, size_t n,
                    unsigned char *md, unsigned int *md_len);
]]
local crypto = ffi.load("crypto")
local secret = os.getenv("WHATSAPP_APP_SECRET")
local digest = ffi.new("unsigned char[32]")
local length = ffi.new("unsigned int[1]")
local hex = {}
for i = 0, 255 do hex[i] = string.format("%02x", i) end

local threads = {}
local counter = 0
thread_id = 0 -- set per thread by setup() (a global: wrk's thread:set writes the thread's globals)

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function sign(body)
  crypto.HMAC(crypto.EVP_sha256(), secret, #secret, body, #body, digest, length)
  local out = {}
  for i = 0, 31 do out[i + 1] = hex[digest[i]] end
  return "sha256=" .. table.concat(out)
end

local statuses = { "sent", "delivered", "read" }
local origins = { "marketing", "utility", "authentication" }

function request()
  counter = counter + 1
  local n = thread_id * 100000000 + counter
  local stamp = 1764900000 + counter
  local recipient = string.format("9198%08d", n % 100000000)
  local wamid = string.format("wamid.HBgM%sFQIAERgS%016X", recipient, n)
  local parts = {}
  for i, status in ipairs(statuses) do
    parts[i] = string.format(
      '{"id":"%s","status":"%s","timestamp":"%d","recipient_id":"%s","biz_opaque_callback_data":"spring-%d.%07d",' ..
      '"conversation":{"id":"%032x","expiration_timestamp":"%d","origin":{"type":"%s"}},' ..
      '"pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"%s"}}',
      wamid, status, stamp + i, recipient, thread_id, counter % 10000000, n, stamp + 86400, origins[n % 3 + 1], origins[n % 3 + 1])
  end
  local body = '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",' ..
    '"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},' ..
    '"statuses":[' .. table.concat(parts, ",") .. ']}}]}]}'
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = sign(body) }, body)
end

dofile("Benchmarks/webhooks/result.lua")
