"""Why: GHCR and Docker Hub use the Bearer token flow: a 401 names a token endpoint, the client trades its
credentials there for a short-lived token scoped to one repository. These tests run the real registry with
token auth against a local token endpoint (RS256 JWTs signed by openssl) and check the whole exchange:
the scope forge asks for, that the secret and the tokens never appear in its output, that a refused
secret is a clear error with nothing tagged, and that GITHUB_TOKEN is never offered to a registry other
than ghcr.io."""
from harness import check, expect_error, main
from publishenv import blob_bytes, check_published, craft_build, publish, repo_of
from registry import RegistryServer, TokenIssuer, pull_manifest

USER, SECRET = "ci-bot", "ghp_notARealToken123"


def start(tmp):
    issuer = TokenIssuer(tmp, {USER: SECRET})
    issuer.start()
    reg = RegistryServer(tmp, auth="token", token_issuer=issuer).start()
    return issuer, reg


def test_bearer_token_flow(tmp):
    issuer, reg = start(tmp)
    try:
        out = tmp / "out"
        d = craft_build(out, "tok-demo", "4.5.6", {"tokd": blob_bytes(70_000, 21), "tokd2": blob_bytes(900, 22)})
        r = publish(tmp, out, reg.host, "--username", USER, "-v", env={"FORGE_REGISTRY_TOKEN": SECRET})
        check(r.code == 0, "publish through the token flow", r)
        text = r.out + r.err
        check(SECRET not in text, "the secret is never printed", r)
        check(issuer.issued and not any(t in text or t[:40] in text for t in issuer.issued),
              "no token is printed, even with -v", r)
        scopes = {scope for user, scope, status in issuer.log if status == 200 and user == USER}
        for exe in ("tokd", "tokd2"):
            want = f"repository:{repo_of('tok-demo', exe)}:pull,push"
            check(want in scopes, f"a token for {want} was requested: {scopes}", r)
        # One token per repository: not one per request.
        check(len([x for x in issuer.log if x[2] == 200]) <= 4, f"tokens are reused: {issuer.log}", r)
        for exe in ("tokd", "tokd2"):
            token = issuer.token_for(USER, SECRET, repo_of("tok-demo", exe))
            check_published(reg.url, d, exe, auth=token, r=r)
        # Anonymous pulls are refused: the registry really enforces tokens.
        status, _, _ = pull_manifest(reg.url, repo_of("tok-demo", "tokd"), "4.5.6-x86_64-Linux")
        check(status == 401, f"anonymous pull refused: HTTP {status}", r)
    finally:
        reg.stop()
        issuer.stop()


def test_refused_secret_and_missing_secret(tmp):
    issuer, reg = start(tmp)
    try:
        out = tmp / "out"
        craft_build(out, "tok-bad", "1.0.0", {"tokb": blob_bytes(3000, 23)})
        r = publish(tmp, out, reg.host, "--username", USER, env={"FORGE_REGISTRY_TOKEN": "not-the-secret"})
        expect_error(r, 10, "token endpoint", "refused the credentials")
        check("not-the-secret" not in r.out + r.err, "the wrong secret is not printed either", r)
        r = publish(tmp, out, reg.host)
        expect_error(r, 10, "token endpoint", "no credentials")
        # GITHUB_TOKEN is for ghcr.io only: a loopback registry never receives it.
        seen = len(issuer.log)
        r = publish(tmp, out, reg.host, "--username", USER, env={"GITHUB_TOKEN": SECRET})
        expect_error(r, 10, "no credentials")
        check(issuer.log[seen:] and all(x[0] is None for x in issuer.log[seen:]),
              f"GITHUB_TOKEN was not sent: {issuer.log[seen:]}", r)
        token = issuer.token_for(USER, SECRET, repo_of("tok-bad", "tokb"))
        status, _, _ = pull_manifest(reg.url, repo_of("tok-bad", "tokb"), "1.0.0-x86_64-Linux", token)
        check(status == 404, f"nothing tagged: HTTP {status}", r)
    finally:
        reg.stop()
        issuer.stop()


if __name__ == "__main__":
    main([test_bearer_token_flow, test_refused_secret_and_missing_secret])
