"""Why: `forge publish` writes to shared remote state soar installs from. These tests push crafted out dirs
to a real registry (Debian's docker-registry on 127.0.0.1), pull every layer back by digest, and check
what the registry's own access log says was uploaded: anonymous, then htpasswd Basic auth; a re-push that
uploads nothing; snapshots from the tag list; the plan of --dry-run; and the refusals (bad names, a file
changed since the build, missing credentials) that must leave no tag behind."""
import hashlib
import json

from harness import check, expect_error, load_json, main, run_forge
from publishenv import HOST, NS, blob_bytes, check_published, craft_build, publish, repo_of
from registry import RegistryServer, pull_manifest, tags

UPLOADS = ("POST", "PUT", "PATCH")


def uploads(requests):
    return [r for r in requests if r[0] in UPLOADS and "/blobs/uploads/" in r[1]]


def test_push_pull_back_and_repush_uploads_nothing(tmp):
    reg = RegistryServer(tmp).start()
    try:
        out = tmp / "out"
        d = craft_build(out, "Demo-Tool", "1.2.3", {"demo": blob_bytes(300_000, 1), "demo-helper": blob_bytes(5000, 2)})
        d_arm = craft_build(out, "Demo-Tool", "1.2.3", {"demo": blob_bytes(200_000, 3)}, host="aarch64-Linux")
        craft_build(out, "broken", "0.1.0", {}, status="failed")
        r = publish(tmp, out, reg.host)
        check(r.code == 0, "publish exits 0", r)
        check(r.out.count("published Demo-Tool 1.2.3") == 3, "one line per executable", r)
        for line in ("demo-tool/stable/demo:1.2.3-x86_64-Linux", "demo-tool/stable/demo-helper:1.2.3-x86_64-Linux",
                     "demo-tool/stable/demo:1.2.3-aarch64-Linux"):
            check(line in r.out, f"stdout names {line}", r)
        m1, digest1 = check_published(reg.url, d, "demo", r=r)
        check_published(reg.url, d, "demo-helper", r=r)
        check_published(reg.url, d_arm, "demo", r=r)
        check(tags(reg.url, repo_of("Demo-Tool", "demo")) in (["1.2.3-aarch64-Linux", "1.2.3-x86_64-Linux"],
                                                              ["1.2.3-x86_64-Linux", "1.2.3-aarch64-Linux"]),
              "both host tags in one repository", r)
        check(not tags(reg.url, repo_of("broken", "broken")), "a failed build is not published", r)
        first = reg.requests()
        manifest_puts = [q for q in first if q[0] == "PUT" and "/manifests/" in q[1]]
        check(len(manifest_puts) == 3 and all(q[2] == 201 for q in manifest_puts), f"3 manifests: {manifest_puts}", r)
        # Every manifest PUT comes after each of its blobs was uploaded or found present (HEAD 200).
        for put in manifest_puts:
            repo, tag = put[1][len("/v2/"):].split("/manifests/")
            i = first.index(put)
            _, _, body = pull_manifest(reg.url, repo, tag)
            m = json.loads(body)
            for blob in [m["config"], *m["layers"]]:
                dg = blob["digest"]
                quoted = dg.replace(":", "%3A")
                before = [q for q in first[:i] if (q[0] == "PUT" and f"digest={quoted}" in q[1] and q[2] == 201)
                          or (q[0] == "HEAD" and q[1] == f"/v2/{repo}/blobs/{dg}" and q[2] == 200)]
                check(before, f"{repo}:{tag}: blob {dg} was there before the manifest", r)
        record = load_json(d / "demo.json")
        check(record["ghcr_pkg"] == f"{reg.host}/{repo_of('Demo-Tool', 'demo')}:1.2.3-x86_64-Linux",
              f"the out dir's record points at the registry: {record['ghcr_pkg']}", r)
        check(record["snapshots"] == ["1.2.3-x86_64-Linux"], f"snapshots {record['snapshots']}", r)
        pub = load_json(d / "publish.json")
        check(pub["format"] == "forge-publish/1" and {e["name"] for e in pub["executables"]} == {"demo", "demo-helper"},
              f"publish.json lists both: {pub}", r)
        check(any(e["digest"] == digest1 for e in pub["executables"]), "publish.json has the manifest digest", r)

        # Re-push: every blob is found by HEAD, none uploaded; the same manifest lands on the same tag.
        r2 = publish(tmp, out, reg.host)
        check(r2.code == 0, "re-publish exits 0", r2)
        again = reg.requests()[len(first):]
        check(not uploads(again), f"no blob uploaded again: {uploads(again)}", r2)
        check([q for q in again if q[0] == "HEAD"], "blobs were checked with HEAD", r2)
        check("0 of 7 blobs uploaded" in r2.out and "0 blobs uploaded" in r2.out, "forge says nothing was uploaded", r2)
        m2, digest2 = check_published(reg.url, d, "demo", r=r2)
        check(digest2 == digest1 and m2 == m1, "the same manifest", r2)
    finally:
        reg.stop()


def test_htpasswd_basic_auth(tmp):
    reg = RegistryServer(tmp, auth="htpasswd", users={"pusher": "correct horse"}).start()
    try:
        out = tmp / "out"
        d = craft_build(out, "auth-demo", "0.3.0", {"authd": blob_bytes(40_000, 7)})
        r = publish(tmp, out, reg.host)
        expect_error(r, 10, "requires credentials", "FORGE_REGISTRY_TOKEN")
        r = publish(tmp, out, reg.host, "--username", "pusher", env={"FORGE_REGISTRY_TOKEN": "wrong horse"})
        expect_error(r, 10, "refused the credentials", "pusher")
        check("wrong horse" not in r.out + r.err, "the password is never printed", r)
        status, _, _ = pull_manifest(reg.url, repo_of("auth-demo", "authd"), "0.3.0-x86_64-Linux", ("pusher", "correct horse"))
        check(status == 404, f"nothing tagged after refused pushes: HTTP {status}", r)

        secret_file = tmp / "token.txt"
        secret_file.write_text("correct horse\n", encoding="utf-8")
        r = publish(tmp, out, reg.host, "--username", "pusher", "--token-file", secret_file, "-v")
        check(r.code == 0, "publish with the password from --token-file", r)
        check("correct horse" not in r.out + r.err, "the password is never printed, even with -v", r)
        check_published(reg.url, d, "authd", auth=("pusher", "correct horse"), r=r)
        # The same from the environment variable named by --token-env, settable in forge.toml.
        (tmp / "forge.toml").write_text('[publish]\nusername = "pusher"\ntoken_env = "MY_SECRET"\n', encoding="utf-8")
        r = run_forge("publish", "--out", out, "--registry", f"http://{reg.host}", "--namespace", NS, cwd=tmp,
                      env={"MY_SECRET": "correct horse", "FORGE_REGISTRY_TOKEN": ""})
        check(r.code == 0 and "0 blobs uploaded" in r.out, "credentials through forge.toml + env; nothing new", r)
    finally:
        reg.stop()


def test_snapshots_from_the_tag_list(tmp):
    reg = RegistryServer(tmp).start()
    try:
        out = tmp / "out"
        craft_build(out, "snap", "1.9.0", {"snap": blob_bytes(1000, 11)})
        r = publish(tmp, out, reg.host)
        check(r.code == 0, "first version published", r)
        out2 = tmp / "out2"
        d = craft_build(out2, "snap", "1.10.0", {"snap": blob_bytes(1000, 12)})
        craft_build(out2, "snap", "1.10.0", {"snap": blob_bytes(1000, 13)}, host="aarch64-Linux")
        # forge run's aggregate index gets the same snapshots.
        meta = out2 / "metadata" / f"{HOST}.json"
        meta.parent.mkdir(parents=True)
        meta.write_text(json.dumps([json.loads((d / "snap.json").read_text())]), encoding="utf-8")
        r = publish(tmp, out2, reg.host, "--only", "snap")
        check(r.code == 0, "second version published", r)
        m, _ = check_published(reg.url, d, "snap", r=r)
        record = json.loads(m["annotations"]["dev.pkgforge.soar.json"])
        check(record["snapshots"] == ["1.10.0-x86_64-Linux", "1.9.0-x86_64-Linux"],
              f"snapshots from the registry's tags, this host only, newest first: {record['snapshots']}", r)
        check(load_json(d / "snap.json")["snapshots"] == record["snapshots"], "the out dir's record too", r)
        check(load_json(meta)[0]["snapshots"] == record["snapshots"], "metadata/<host>.json too", r)
    finally:
        reg.stop()


def test_every_setting_from_forge_toml(tmp):
    reg = RegistryServer(tmp).start()
    try:
        out = tmp / "built"
        d = craft_build(out, "cfg", "3.0.0", {"cfg": blob_bytes(20_000, 41)})
        craft_build(out, "not-this", "1.0.0", {"nope": blob_bytes(100, 42)})
        (tmp / "forge.toml").write_text(
            "[publish]\n"
            f'out = "{out}"\n'
            f'registry = "http://{reg.host}"\n'
            'namespace = "from-toml"\n'
            'only = ["cfg"]\n'
            "retries = 2\n"
            "retry-backoff = 0.05\n"
            "chunk-threshold = 1000\n"
            "chunk_size = 4096\n"
            "connect-timeout = 5\n", encoding="utf-8")
        r = run_forge("publish", cwd=tmp, env={"FORGE_REGISTRY_TOKEN": ""})
        check(r.code == 0, "publish configured by forge.toml alone", r)
        check(f"{reg.host}/from-toml/cfg/stable/cfg:3.0.0-{HOST}" in r.out, "namespace from forge.toml", r)
        check(not tags(reg.url, "from-toml/not-this/stable/nope"), "only = [...] from forge.toml", r)
        patches = [q for q in reg.requests() if q[0] == "PATCH"]
        check(len(patches) >= 20_000 // 4096, f"chunk settings from forge.toml: {len(patches)} PATCHes", r)
        check_published(reg.url, d, "cfg", ns="from-toml", r=r)
    finally:
        reg.stop()


def test_dry_run_prints_the_plan_and_sends_nothing(tmp):
    reg = RegistryServer(tmp).start()
    try:
        out = tmp / "out"
        d = craft_build(out, "plan-me", "2.0.0", {"planner": blob_bytes(12345, 5)})
        before = len(reg.requests())
        r = publish(tmp, out, reg.host, "--dry-run")
        check(r.code == 0, "dry run exits 0", r)
        check(f"{reg.host}/{NS}/plan-me/stable/planner:2.0.0-{HOST}" in r.out, "the plan names repository:tag", r)
        digest = "sha256:" + hashlib.sha256((d / "planner").read_bytes()).hexdigest()
        check(digest in r.out and "12345" in r.out, "the plan lists the executable's digest and size", r)
        for title in ("CHECKSUM", "LICENSE", "planner.json", "planner.log", "planner.version"):
            check(title in r.out, f"the plan lists {title}", r)
        check("nothing was sent" in r.out, "the plan says nothing was sent", r)
        check(len(reg.requests()) == before, f"no request reached the registry: {reg.requests()[before:]}", r)
        check(not (d / "publish.json").exists(), "no publish.json after a dry run", r)
    finally:
        reg.stop()
    # No registry at all: a dry run still works.
    r = publish(tmp, tmp / "out", "127.0.0.1:1", "--dry-run")
    check(r.code == 0 and "would publish" in r.out, "dry run needs no registry", r)


def test_refusals_leave_nothing_behind(tmp):
    reg = RegistryServer(tmp).start()
    try:
        out = tmp / "out"
        d = craft_build(out, "tamper", "1.0.0", {"tamper": blob_bytes(2000, 9)})
        r = publish(tmp, tmp / "missing", reg.host)
        expect_error(r, 2, "does not exist")
        r = publish(tmp, out, reg.host, "--only", "nothing-like-this")
        expect_error(r, 2, "nothing-like-this")
        r = publish(tmp, out, "ftp://" + reg.host)
        check(r.code == 2, "a bad registry URL is a usage error", r)
        (d / "tamper").write_bytes(b"changed after the build")
        r = publish(tmp, out, reg.host)
        expect_error(r, 7, "BLAKE3", "tamper")
        check(not [q for q in reg.requests() if q[1].startswith("/v2/" + NS)], "nothing was sent for a bad out dir", r)
        # A version with semver build metadata has no valid OCI tag.
        craft_build(tmp / "out2", "meta", "1.0.0+build.1", {"meta": blob_bytes(100, 1)})
        r = publish(tmp, tmp / "out2", reg.host)
        expect_error(r, 2, "not a valid OCI tag")
        # An empty out dir publishes nothing, successfully.
        (tmp / "empty").mkdir()
        r = publish(tmp, tmp / "empty", reg.host)
        check(r.code == 0 and "nothing to publish" in r.out, "an empty out dir is not an error", r)
    finally:
        reg.stop()


def test_sbom_and_provenance_are_layers(tmp):
    """<exe>.cdx.json and <exe>.intoto.json go up as layers of the executable's own manifest, with their media
    types; one that no longer describes the executable stops the publish before anything is sent."""
    reg = RegistryServer(tmp).start()
    try:
        out = tmp / "out"
        d = craft_build(out, "attested", "2.0.0", {"attested": blob_bytes(4000, 11)}, attest=True)
        r = publish(tmp, out, reg.host, "--dry-run")
        check(r.code == 0 and "attested.cdx.json" in r.out and "application/vnd.in-toto+json" in r.out,
              "the plan lists both", r)
        r = publish(tmp, out, reg.host)
        check(r.code == 0 and "of 9 blobs uploaded" in r.out, "publish exits 0 with 2 more layers", r)
        check_published(reg.url, d, "attested", r=r)

        d2 = craft_build(tmp / "out2", "stale", "1.0.0", {"stale": blob_bytes(3000, 12)}, attest=True)
        (d2 / "stale.intoto.json").write_text((d / "attested.intoto.json").read_text())
        before = len(reg.requests())
        r = publish(tmp, tmp / "out2", reg.host)
        expect_error(r, 7, "stale.intoto.json", "does not describe")
        check(not [q for q in reg.requests()[before:] if "/stale/" in q[1]], "nothing sent for it", r)
    finally:
        reg.stop()


if __name__ == "__main__":
    main([test_push_pull_back_and_repush_uploads_nothing, test_htpasswd_basic_auth, test_snapshots_from_the_tag_list,
          test_every_setting_from_forge_toml, test_dry_run_prints_the_plan_and_sends_nothing,
          test_refusals_leave_nothing_behind, test_sbom_and_provenance_are_layers])
