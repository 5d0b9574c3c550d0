"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests: it checks requests, reports `usage`, sends
`Retry-After` with 429, 401 on a wrong key, and answers from a per-test script."""
import itertools, json, math, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def good_pairs(user: str, n: int, counter, kept: float = 1.0) -> list:
    "`n` distinct pairs that run and return one row on the schema in `user` (a COUNT over its tables); with `kept` < 1,"
    " only that share of them (spread evenly over the server's life) runs, the others name a table that does not exist."
    tables = re.findall(r"CREATE TABLE (\w+) \((\w+) (?:INTEGER|BIGINT|INT)", user, re.I)
    out = []
    for _ in range(n):
        k = next(counter)
        t, col = tables[k % len(tables)]
        good = math.floor(k * kept) > math.floor((k - 1) * kept)
        out.append({"question": f"How many {t} have a {col} above {k}?",
                    "sql": f"SELECT COUNT(*) FROM {t if good else 'no_such_table'} WHERE {col} > {k};"})
    return out

class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that gave up (timeout, SIGKILL) is expected here
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

class ChatServer:
    """`script`: a list of actions taken one per request in arrival order, then `default`. An action is a dict:
    `{"pairs": [...]}`, `{"content": str, "finish_reason": str}`, `{"status": 429|500, "retry_after": s}`,
    `{"sleep": s}` (then answered good), `{}` (good pairs, as many as the prompt asks for) or `{"kept": 0.45}` (as many,
    45 % of them good)."""
    def __init__(self, key="sk-test-secret-123", script=(), default=None, json_mode=True):
        self.key, self.script, self.default, self.json_mode = key, list(script), default or {}, json_mode
        self.log, self.usage, self._lock, self._counter = [], [], threading.Lock(), itertools.count(1)
        self.answered = []  # the request bodies answered, in the order of `usage`
        self.httpd = _Server(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self): threading.Thread(target=self.httpd.serve_forever, daemon=True).start(); return self
    def __exit__(self, *a): self.httpd.shutdown(); self.httpd.server_close()

    def _next(self):
        with self._lock:
            return self.script.pop(0) if self.script else dict(self.default)

    def _handler(srv):
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def _send(self, status, obj, headers=()):
                body = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body)))
                for k, v in headers: self.send_header(k, v)
                self.end_headers(); self.wfile.write(body)
            def _error(self, status, msg, headers=()):
                self._send(status, {"error": {"message": msg, "type": "test"}}, headers)
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with srv._lock:
                    srv.log.append(dict(t=time.monotonic(), path=self.path, auth=self.headers.get("Authorization")))
                if self.path != "/v1/chat/completions": return self._error(404, "not found")
                if self.headers.get("Authorization") != f"Bearer {srv.key}":
                    return self._error(401, "Incorrect API key provided")
                try:
                    req = json.loads(body)
                    assert isinstance(req["model"], str) and req["model"]
                    assert isinstance(req["messages"], list) and req["messages"]
                    assert all(m["role"] in ("system", "user", "assistant") and isinstance(m["content"], str)
                               for m in req["messages"])
                    assert isinstance(req.get("max_tokens", 1), int) and req.get("max_tokens", 1) > 0
                    assert req.get("response_format", {"type": "json_object"}) == {"type": "json_object"}
                except Exception as e: return self._error(400, f"bad request: {e!r}")
                if "response_format" in req and not srv.json_mode:
                    return self._error(400, "response_format is not supported by this server")
                act = srv._next()
                if "status" in act:
                    h = [("Retry-After", str(act["retry_after"]))] if "retry_after" in act else []
                    return self._error(act["status"], "scripted error", h)
                if "sleep" in act: time.sleep(act["sleep"])
                user = req["messages"][-1]["content"]
                content = act.get("content")
                if content is None:
                    n = int(re.search(r"Write (\d+) different", user).group(1)) if "Write " in user else 1
                    pairs = act["pairs"] if "pairs" in act else good_pairs(user, n, srv._counter, act.get("kept", 1.0))
                    content = json.dumps({"pairs": pairs})
                p_tok = math.ceil(sum(len(m["content"].encode()) for m in req["messages"]) / 4)
                c_tok = min(math.ceil(len(content) / 4), req.get("max_tokens", 10**9))
                with srv._lock:
                    srv.usage.append((p_tok, c_tok)); srv.answered.append(req); rid = f"req_{len(srv.usage)}"
                self._send(200, {"id": f"chatcmpl-{rid}", "object": "chat.completion", "created": int(time.time()),
                                 "model": req["model"],
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                              "finish_reason": act.get("finish_reason", "stop")}],
                                 "usage": {"prompt_tokens": p_tok, "completion_tokens": c_tok,
                                           "total_tokens": p_tok + c_tok}},
                           [("x-request-id", rid)])
        return H
