"""download_mnist against a local HTTP server: never the internet.

The server holds the real MNIST .gz files in memory (the downloader checks the published
checksums, so nothing else would pass) and misbehaves on demand.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from repo_paths import SHARED_MNIST as MNIST_DIR

from model import data
from model.data import MNIST_FILES, DataError, DownloadCancelled, download_mnist

FILE_NAMES = [f"{name}.gz" for name in MNIST_FILES]
BLOCK = 1 << 16

Behaviour = Callable[[BaseHTTPRequestHandler, bytes], None]


def serve(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    for start in range(0, len(body), BLOCK):
        handler.wfile.write(body[start : start + BLOCK])


def status(code: int) -> Behaviour:
    def respond(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.send_error(code)

    return respond


def cut_short(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    """Promise the whole file, send half, hang up."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])


def wrong_bytes(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    damaged = bytearray(body)
    damaged[len(body) // 2] ^= 0x01
    serve(handler, bytes(damaged))


def chunked_cut_short(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    """HTTP/1.1 chunked transfer that hangs up in the middle of a chunk."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    handler.wfile.write(b"%x\r\n" % BLOCK + body[: BLOCK // 2])


def garbage(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    handler.wfile.write(b"this is not HTTP at all\r\n\r\n")


def hang_up(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    """Accept the request, answer nothing, close."""


class MirrorServer:
    """A local server; each URL prefix ("/a/", "/b/", ...) can behave differently."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.behaviour: dict[str, Behaviour] = {}
        self.requests: list[tuple[str, str]] = []
        self.release = threading.Event()  # lets stalled responses finish at teardown
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                _, prefix, name = self.path.split("/", 2)
                server.requests.append((prefix, name))
                body = server.files.get(name)
                try:
                    if body is None:
                        self.send_error(404)
                    else:
                        server.behaviour.get(prefix, serve)(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should after a timeout or cancel

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = False  # server_close() then joins every handler thread
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{prefix}/"

    def stall(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        """Send the headers and a first block, then go silent."""
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:BLOCK])
        handler.wfile.flush()
        self.release.wait(30)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture(scope="module")
def mnist_bytes() -> dict[str, bytes]:
    if not all((MNIST_DIR / name).is_file() for name in FILE_NAMES):
        pytest.skip(f"the shared MNIST copy is not at {MNIST_DIR}")
    return {name: (MNIST_DIR / name).read_bytes() for name in FILE_NAMES}


@pytest.fixture
def mirror(mnist_bytes):
    server = MirrorServer(mnist_bytes)
    yield server
    server.close()


@pytest.fixture
def loads(monkeypatch) -> list[Path]:
    """Skip the (slow, separately tested) final read: record which folder would be loaded."""
    folders: list[Path] = []
    monkeypatch.setattr(data, "load_idx_directory", lambda folder: folders.append(folder) or folder)
    return folders


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_complete(folder: Path, mnist_bytes: dict[str, bytes]) -> None:
    assert leftovers(folder) == sorted(FILE_NAMES)
    for name in FILE_NAMES:
        assert (folder / name).read_bytes() == mnist_bytes[name]


def test_download_into_the_cache_with_progress(mirror, mnist_bytes, isolated_home):
    calls: list[tuple[str, int, int]] = []
    dataset = download_mnist(mirrors=[mirror.url("a")], progress=lambda *call: calls.append(call))
    cache = isolated_home / ".cache" / "digitpad" / "mnist"
    assert_complete(cache, mnist_bytes)
    assert dataset.train_images.shape == (60_000, 28, 28)
    assert np.bincount(dataset.test_labels).tolist()[:3] == [980, 1135, 1032]
    # Progress: per file, strictly increasing byte counts ending at the advertised total.
    assert all(done > 0 for _, done, _ in calls)
    names = list(dict.fromkeys(name for name, _, _ in calls))
    assert names == list(MNIST_FILES)
    for name in names:
        done = [d for n, d, _ in calls if n == name]
        totals = {t for n, _, t in calls if n == name}
        assert totals == {len(mnist_bytes[f"{name}.gz"])}
        assert all(b > a for a, b in itertools.pairwise(done))
        assert done[-1] == len(mnist_bytes[f"{name}.gz"])
    assert len([d for n, d, _ in calls if n == "train-images-idx3-ubyte"]) > 100  # many updates


def test_first_mirror_404_second_mirror_ok(mirror, mnist_bytes, tmp_path, loads):
    mirror.behaviour["a"] = status(404)
    target = tmp_path / "mnist"
    assert download_mnist(target, mirrors=[mirror.url("a"), mirror.url("b")]) == target
    assert_complete(target, mnist_bytes)
    assert [prefix for prefix, _ in mirror.requests] == ["a", "b"] * 4


def test_all_mirrors_failing_leaves_nothing(mirror, tmp_path):
    mirror.behaviour["a"] = mirror.behaviour["b"] = status(500)
    target = tmp_path / "mnist"
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte.*/a/: Internal Server Error.*/b/: Internal Server Error"
    ):
        download_mnist(target, mirrors=[mirror.url("a"), mirror.url("b")])
    assert leftovers(target) == []


def test_connection_refused(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = tmp_path / "mnist"
    with pytest.raises(DataError, match="refused"):
        download_mnist(target, mirrors=[f"http://127.0.0.1:{port}/"], timeout=5)
    assert leftovers(target) == []


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (cut_short, "sent 4956211 of 9912422 bytes"),  # half of train-images' published size
        (wrong_bytes, "wrong checksum"),
        (chunked_cut_short, None),
        (garbage, None),
        (hang_up, None),
    ],
    ids=["short body", "wrong bytes", "chunked cut short", "not HTTP", "hang up"],
)
def test_bad_response_is_rejected_and_nothing_is_left(mirror, tmp_path, behaviour, message):
    mirror.behaviour["a"] = behaviour
    target = tmp_path / "mnist"
    with pytest.raises(DataError, match=message):
        download_mnist(target, mirrors=[mirror.url("a")], timeout=5)
    assert leftovers(target) == []


def test_stalled_server_times_out(mirror, tmp_path):
    mirror.behaviour["a"] = mirror.stall
    target = tmp_path / "mnist"
    started = time.monotonic()
    with pytest.raises(DataError, match="timed out"):
        download_mnist(target, mirrors=[mirror.url("a")], timeout=1)
    assert time.monotonic() - started < 5
    assert leftovers(target) == []


def test_cancel_mid_file_leaves_nothing_and_tries_no_other_mirror(mirror, tmp_path):
    seen = []
    target = tmp_path / "mnist"
    with pytest.raises(DownloadCancelled):
        download_mnist(
            target,
            mirrors=[mirror.url("a"), mirror.url("b")],
            progress=lambda name, done, total: seen.append(done),
            cancelled=lambda: bool(seen) and seen[-1] > 1_000_000,
        )
    assert 1_000_000 < seen[-1] < 2_000_000
    assert leftovers(target) == []
    assert mirror.requests == [("a", "train-images-idx3-ubyte.gz")]


def test_cancel_in_second_file_keeps_only_the_verified_first(mirror, mnist_bytes, tmp_path):
    target = tmp_path / "mnist"
    names: list[str] = []
    with pytest.raises(DownloadCancelled):
        download_mnist(
            target,
            mirrors=[mirror.url("a")],
            progress=lambda name, done, total: names.append(name),
            cancelled=lambda: "train-labels-idx1-ubyte" in names,
        )
    assert leftovers(target) == ["train-images-idx3-ubyte.gz"]
    assert (target / "train-images-idx3-ubyte.gz").read_bytes() == mnist_bytes["train-images-idx3-ubyte.gz"]


def test_retry_after_failure_resumes_with_the_verified_files(mirror, mnist_bytes, tmp_path, loads):
    target = tmp_path / "mnist"
    mirror.files = {name: body for name, body in mnist_bytes.items() if "labels" not in name}
    with pytest.raises(DataError, match="train-labels"):
        download_mnist(target, mirrors=[mirror.url("a")])
    assert leftovers(target) == ["train-images-idx3-ubyte.gz"]
    mirror.files = mnist_bytes
    mirror.requests.clear()
    assert download_mnist(target, mirrors=[mirror.url("a")]) == target
    assert_complete(target, mnist_bytes)
    # The verified file is not fetched again.
    assert "train-images-idx3-ubyte.gz" not in [name for _, name in mirror.requests]


def test_damaged_file_already_in_the_target_is_replaced(mirror, mnist_bytes, tmp_path, loads):
    target = tmp_path / "mnist"
    target.mkdir()
    (target / "t10k-labels-idx1-ubyte.gz").write_bytes(b"half a download")
    download_mnist(target, mirrors=[mirror.url("a")])
    assert_complete(target, mnist_bytes)


def test_target_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot create"):
        download_mnist(blocker / "mnist", mirrors=["http://127.0.0.1:9/"])
