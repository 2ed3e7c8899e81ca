// Why: the package index lives in a git branch (history, diffs, one push to publish); forge writes it with
// libgit2 straight into the object database, so a CI merge job needs no checkout and no git program.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace forge {

struct GitCommitRequest {
  std::filesystem::path repo;               // a bare or non-bare repository
  std::string branch;                       // "index" -> refs/heads/index (created when missing)
  std::map<std::string, std::string> files; // path in the tree -> content; other files of the tip are kept
  std::string message;
  std::string
      author; // "Name <email>"; empty: the repository's user.name/user.email, else "forge <forge@localhost>"
};

struct GitCommitResult {
  bool committed = false; // false: the tree would not change, no commit was made
  std::string commit;     // hex id of the new commit (or of the unchanged tip)
  std::string parent;     // hex id of the previous tip, empty for a new branch
};

// One commit on top of the branch tip holding `files`. Throws Error(io) naming the repository on a libgit2
// failure (e.g. the tip moved meanwhile, the path is not a repository).
GitCommitResult commit_files(const GitCommitRequest &request);

// Contents of the files of the branch tip under `dir` ("" = top level, not recursive), plus `extra` exact
// paths; empty when the branch does not exist.
std::map<std::string, std::string> read_branch_files(const std::filesystem::path &repo,
                                                     const std::string &branch, const std::string &dir,
                                                     const std::vector<std::string> &extra = {});

// "Name <email>" -> {name, email}; throws Error(usage).
std::pair<std::string, std::string> parse_author(const std::string &text);

} // namespace forge
