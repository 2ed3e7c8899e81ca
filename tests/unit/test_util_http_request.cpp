// Why: registries answer uploads with a Location that may be absolute, host-relative or relative, and the
// digest goes into its query; a wrong join sends the blob to the wrong place.
#include "forge/util/http_request.hpp"

#include <gtest/gtest.h>

namespace {

TEST(HttpRequest, ResolvesLocations) {
  const std::string base = "http://127.0.0.1:5000/v2/a/b/blobs/uploads/";
  EXPECT_EQ(forge::resolve_url(base, "http://other:1/x?y=1"), "http://other:1/x?y=1");
  EXPECT_EQ(forge::resolve_url(base, "/v2/a/b/blobs/uploads/uuid?_state=s"),
            "http://127.0.0.1:5000/v2/a/b/blobs/uploads/uuid?_state=s");
  EXPECT_EQ(forge::resolve_url(base, "uuid"), "http://127.0.0.1:5000/v2/a/b/blobs/uploads/uuid");
  EXPECT_EQ(forge::resolve_url("https://ghcr.io/v2/x?q=1", "y"), "https://ghcr.io/v2/y");
  EXPECT_EQ(forge::resolve_url("https://ghcr.io/v2/x", "//cdn.example/z"), "https://cdn.example/z");
  // A query value that contains "://" is not a scheme.
  EXPECT_EQ(forge::resolve_url(base, "/up?next=http://x"), "http://127.0.0.1:5000/up?next=http://x");
}

TEST(HttpRequest, AddsEncodedQueryParameters) {
  EXPECT_EQ(forge::add_query("http://h/u", "digest", "sha256:ab"), "http://h/u?digest=sha256%3Aab");
  EXPECT_EQ(forge::add_query("http://h/u?_state=x", "digest", "sha256:ab"),
            "http://h/u?_state=x&digest=sha256%3Aab");
  EXPECT_EQ(forge::percent_encode("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
  EXPECT_EQ(forge::percent_encode("AZaz09-_.~"), "AZaz09-_.~");
}

TEST(HttpRequest, DescribesStatus) {
  EXPECT_EQ(forge::describe_status(404, "Not Found"), "HTTP 404 Not Found");
  EXPECT_EQ(forge::describe_status(500, ""), "HTTP 500");
}

TEST(HttpRequest, ConnectionRefusedIsTransient) {
  forge::HttpClient client;
  forge::HttpRequest r;
  r.url = "http://127.0.0.1:1/"; // nothing listens on port 1
  r.connect_timeout_s = 5;
  const auto result = client.perform(r);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.transient);
  EXPECT_FALSE(result.error.empty());
}

} // namespace
