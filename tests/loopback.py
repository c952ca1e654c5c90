"""Loopback servers shared by the HTTP tests (imported by name: tests/ is on sys.path under pytest)."""

from __future__ import annotations

import socket
import threading
import time


class Drip:
    """A loopback server that answers every connection one byte at a time, ``every`` seconds apart.

    ``headers_first``: the status line and headers arrive at once and only the body drips;
    otherwise the status line drips too. Bounded: it stops after ``limit`` bytes or when the
    client goes away, so a failing test cannot hang for long.
    """

    def __init__(self, every: float, headers_first: bool, limit: int = 40) -> None:
        self.every = every
        self.headers_first = headers_first
        self.limit = limit
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        body = b"x" * self.limit
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
        with conn:
            try:
                conn.recv(65536)
                if self.headers_first:
                    conn.sendall(head)
                    data = body
                else:
                    data = head + body
                for i in range(min(len(data), self.limit)):
                    if self.stopped.is_set():
                        return
                    conn.sendall(data[i : i + 1])
                    time.sleep(self.every)
            except OSError:
                return  # the client gave up

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()
        self.thread.join(2)


class VllmFake:
    """A loopback vLLM: ``GET /v1/models``, ``POST /v1/completions`` and ``POST /tokenize`` answered by a
    transformers model (the tiny random Llama in tests), with vLLM's request and reply shapes.

    * ``/v1/completions``: ``prompt`` as text or token ids; greedy continuation (stopping on EOS,
      which vLLM keeps in the token ids: ``finish_reason`` "stop", ``stop_reason`` null), with
      ``logprobs.tokens`` as ``token_id:N`` under ``return_tokens_as_token_ids``; with
      ``prompt_logprobs: k``, ``choices[0].prompt_logprobs``: None, then per prompt position
      ``{"<id>": {"logprob", "rank", "decoded_token"}}`` for the top-k and the prompt token, ranks
      over the whole vocabulary from the model's real logits (1 + the number of strictly greater).
    * ``/tokenize``: ``prompt`` (+ ``add_special_tokens``), or ``messages`` rendered by the chat template.

    ``mode``: "vllm"; "no_prompt_logprobs" (a server that ignores the field, like llama.cpp's);
    "malformed" (entries without ranks); "no_tokenize" (no ``/tokenize``). ``fail_first``: answer the first N POSTs with HTTP 503.
    """

    def __init__(self, model_dir: str, name: str, *, mode: str = "vllm", fail_first: int = 0) -> None:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = name
        self.mode = mode
        self.fail_left = fail_first
        self.posts: list[tuple[str, dict]] = []
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/").endswith("/v1/models"):
                    self._send(200, {"object": "list", "data": [{"id": fake.name, "object": "model", "owned_by": "vllm"}]})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with fake.lock:
                    fake.posts.append((self.path, body))
                    if fake.fail_left > 0:
                        fake.fail_left -= 1
                        self._send(503, {"error": "busy"})
                        return
                    if self.path == "/tokenize" and fake.mode != "no_tokenize":
                        self._send(200, fake.tokenize(body))
                    elif self.path == "/v1/completions":
                        self._send(200, fake.complete(body))
                    else:
                        self._send(404, {"error": "not found"})

            def _send(self, status: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def tokenize(self, body: dict) -> dict:
        if "messages" in body:
            text = self.tokenizer.apply_chat_template(body["messages"], chat_template=body.get("chat_template"),
                                                      add_generation_prompt=body.get("add_generation_prompt", True),
                                                      tokenize=False)
            ids = self.tokenizer(text, add_special_tokens=body.get("add_special_tokens", False))["input_ids"]
        else:
            ids = self.tokenizer(body["prompt"], add_special_tokens=body.get("add_special_tokens", True))["input_ids"]
        return {"count": len(ids), "max_model_len": 4096, "tokens": ids}

    def complete(self, body: dict) -> dict:
        import torch

        from urial_check.measures.token_shift import _stop_ids

        prompt = body["prompt"]
        ids = list(prompt) if isinstance(prompt, list) else self.tokenizer(prompt)["input_ids"]
        stops = _stop_ids(self.model, self.tokenizer)
        with torch.no_grad():
            out = self.model.generate(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                      max_new_tokens=body.get("max_tokens", 16), do_sample=False, repetition_penalty=1.0,
                                      pad_token_id=min(stops), eos_token_id=sorted(stops))
        new = [int(t) for t in out[0, len(ids):].tolist()]
        cut = next((j for j, tok in enumerate(new) if tok in stops), None)
        if cut is not None:
            new = new[: cut + 1]  # vLLM keeps the EOS it stopped on in the token ids
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        choice: dict = {"index": 0, "text": text, "finish_reason": "stop" if cut is not None else "length",
                        "stop_reason": None, "logprobs": None}
        if body.get("logprobs") is not None:
            tokens = [f"token_id:{t}" if body.get("return_tokens_as_token_ids") else self.tokenizer.decode([t]) for t in new]
            choice["logprobs"] = {"tokens": tokens, "token_logprobs": [0.0] * len(new), "top_logprobs": None, "text_offset": []}
        k = body.get("prompt_logprobs")
        if k is not None and self.mode != "no_prompt_logprobs":
            choice["prompt_logprobs"] = self.prompt_logprobs(ids, int(k))
        return {"id": "cmpl-fake", "object": "text_completion", "model": self.name, "choices": [choice],
                "usage": {"prompt_tokens": len(ids), "completion_tokens": len(new), "total_tokens": len(ids) + len(new)}}

    def prompt_logprobs(self, ids: list[int], k: int) -> list:
        import torch

        from urial_check.measures.token_shift import _answer_logits

        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        logits = _answer_logits(self.model, [(ids[:1], ids[1:])], pad, 1)[0].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        rows: list = [None]
        for p in range(1, len(ids)):
            row, lp = logits[p - 1], logprobs[p - 1]
            chosen = [int(i) for i in torch.topk(lp, min(k, lp.shape[0])).indices.tolist()] if k > 0 else []
            tokens = list(dict.fromkeys(chosen + [ids[p]]))
            ascending = torch.sort(row).values
            # 1 + how many logits are strictly greater, for every returned token at once.
            ranks = row.shape[0] - torch.searchsorted(ascending, row[tokens], right=True) + 1
            entry = {}
            for token, rank in zip(tokens, ranks.tolist()):
                entry[str(token)] = {"logprob": float(lp[token]), "decoded_token": self.tokenizer.decode([token])}
                if self.mode != "malformed":
                    entry[str(token)]["rank"] = int(rank)
            rows.append(entry)
        return rows

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2)


class RawReplyServer:
    """A loopback server that reads a request and answers ``payload`` verbatim, then closes."""

    def __init__(self, payload: bytes, path: str = "/v1/x") -> None:
        self.payload = payload
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self.requests.append(conn.recv(65536))
                    conn.sendall(self.payload)
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
