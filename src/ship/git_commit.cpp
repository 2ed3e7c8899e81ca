// Why: a commit without a checkout: blobs and trees are written into the object database, the tip's tree is
// read into an in-memory index, changed paths replaced, and the branch moved only if it still points at the
// parent we built on (git_commit_create checks that), so two concurrent merges cannot lose each other's work.
#include "forge/ship/git_commit.hpp"

#include "forge/util/error.hpp"

#include <git2.h>

#include <memory>
#include <vector>

namespace forge {
namespace {

class Libgit2 {
public:
  Libgit2() { git_libgit2_init(); }
  ~Libgit2() { git_libgit2_shutdown(); }
  Libgit2(const Libgit2 &) = delete;
  Libgit2 &operator=(const Libgit2 &) = delete;
};

template <typename T, void (*Free)(T *)> struct Deleter {
  void operator()(T *p) const {
    if (p != nullptr) {
      Free(p);
    }
  }
};
using Repo = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using Commit = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using Index = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using Signature = std::unique_ptr<git_signature, Deleter<git_signature, git_signature_free>>;
using Blob = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using TreeEntry = std::unique_ptr<git_tree_entry, Deleter<git_tree_entry, git_tree_entry_free>>;

[[noreturn]] void git_fail(const std::filesystem::path &repo, const std::string &what) {
  const git_error *e = git_error_last();
  fail(ExitCode::io, "git repository {}: {}: {}", repo.string(), what,
       e != nullptr ? e->message : "unknown error");
}

void check(int rc, const std::filesystem::path &repo, const std::string &what) {
  if (rc < 0) {
    git_fail(repo, what);
  }
}

Repo open_repo(const std::filesystem::path &path) {
  git_repository *raw = nullptr;
  if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) < 0) {
    git_fail(path, "cannot open (create it with `git init --bare`)");
  }
  return Repo(raw);
}

std::string hex(const git_oid &oid) {
  char buf[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

// The tip commit of `branch`, or nullptr when the branch does not exist yet.
Commit tip_of(git_repository *repo, const std::filesystem::path &path, const std::string &branch) {
  git_oid oid;
  const std::string ref = "refs/heads/" + branch;
  const int rc = git_reference_name_to_id(&oid, repo, ref.c_str());
  if (rc == GIT_ENOTFOUND) {
    return nullptr;
  }
  check(rc, path, "cannot resolve " + ref);
  git_commit *raw = nullptr;
  check(git_commit_lookup(&raw, repo, &oid), path, "cannot read the tip of " + branch);
  return Commit(raw);
}

Signature make_signature(git_repository *repo, const std::filesystem::path &path, const std::string &author) {
  git_signature *raw = nullptr;
  if (!author.empty()) {
    const auto [name, email] = parse_author(author);
    check(git_signature_now(&raw, name.c_str(), email.c_str()), path, "bad author");
    return Signature(raw);
  }
  if (git_signature_default(&raw, repo) == 0) {
    return Signature(raw);
  }
  check(git_signature_now(&raw, "forge", "forge@localhost"), path, "cannot make a signature");
  return Signature(raw);
}

} // namespace

std::pair<std::string, std::string> parse_author(const std::string &text) {
  const auto lt = text.find('<');
  const auto gt = text.rfind('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt || lt == 0) {
    fail(ExitCode::usage, "author must be 'Name <email>', not '{}'", text);
  }
  std::string name = text.substr(0, lt);
  while (!name.empty() && name.back() == ' ') {
    name.pop_back();
  }
  const std::string email = text.substr(lt + 1, gt - lt - 1);
  if (name.empty() || email.empty()) {
    fail(ExitCode::usage, "author must be 'Name <email>', not '{}'", text);
  }
  return {name, email};
}

GitCommitResult commit_files(const GitCommitRequest &req) {
  Libgit2 lib;
  const Repo repo = open_repo(req.repo);
  const Commit tip = tip_of(repo.get(), req.repo, req.branch);
  GitCommitResult result;

  git_index *raw_index = nullptr;
  check(git_index_new(&raw_index), req.repo, "cannot create an index");
  const Index index(raw_index);
  Tree tip_tree;
  if (tip) {
    result.parent = hex(*git_commit_id(tip.get()));
    git_tree *raw_tree = nullptr;
    check(git_commit_tree(&raw_tree, tip.get()), req.repo, "cannot read the tip's tree");
    tip_tree.reset(raw_tree);
    check(git_index_read_tree(index.get(), tip_tree.get()), req.repo, "cannot read the tip's tree");
  }
  for (const auto &[path, content] : req.files) {
    git_oid blob;
    check(git_blob_create_from_buffer(&blob, repo.get(), content.data(), content.size()), req.repo,
          "cannot write " + path);
    git_index_entry entry{};
    entry.mode = GIT_FILEMODE_BLOB;
    entry.id = blob;
    entry.path = path.c_str();
    check(git_index_add(index.get(), &entry), req.repo, "cannot stage " + path);
  }
  git_oid tree_id;
  check(git_index_write_tree_to(&tree_id, index.get(), repo.get()), req.repo, "cannot write the tree");
  if (tip_tree && git_oid_equal(&tree_id, git_tree_id(tip_tree.get())) != 0) {
    result.commit = result.parent;
    return result; // nothing changed: no empty commit
  }
  git_tree *raw_new = nullptr;
  check(git_tree_lookup(&raw_new, repo.get(), &tree_id), req.repo, "cannot read the new tree");
  const Tree tree(raw_new);
  const Signature sig = make_signature(repo.get(), req.repo, req.author);
  const std::string ref = "refs/heads/" + req.branch;
  const git_commit *parents[] = {tip.get()};
  git_oid commit_id;
  check(git_commit_create(&commit_id, repo.get(), ref.c_str(), sig.get(), sig.get(), "UTF-8",
                          req.message.c_str(), tree.get(), tip ? 1 : 0, tip ? parents : nullptr),
        req.repo, "cannot commit to " + req.branch);
  result.committed = true;
  result.commit = hex(commit_id);
  return result;
}

std::map<std::string, std::string> read_branch_files(const std::filesystem::path &path,
                                                     const std::string &branch, const std::string &dir,
                                                     const std::vector<std::string> &extra) {
  Libgit2 lib;
  std::map<std::string, std::string> files;
  const Repo repo = open_repo(path);
  const Commit tip = tip_of(repo.get(), path, branch);
  if (!tip) {
    return files;
  }
  git_tree *raw_tree = nullptr;
  check(git_commit_tree(&raw_tree, tip.get()), path, "cannot read the tip's tree");
  const Tree root(raw_tree);
  auto read_blob = [&](const git_oid *oid, const std::string &name) {
    git_blob *raw_blob = nullptr;
    check(git_blob_lookup(&raw_blob, repo.get(), oid), path, "cannot read " + name);
    const Blob blob(raw_blob);
    files[name] = std::string(static_cast<const char *>(git_blob_rawcontent(blob.get())),
                              static_cast<std::size_t>(git_blob_rawsize(blob.get())));
  };
  Tree sub;
  const git_tree *listing = root.get();
  if (!dir.empty()) {
    git_tree_entry *raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, root.get(), dir.c_str()) == 0) {
      const TreeEntry entry(raw_entry);
      if (git_tree_entry_type(entry.get()) == GIT_OBJECT_TREE) {
        git_tree *raw_sub = nullptr;
        check(git_tree_lookup(&raw_sub, repo.get(), git_tree_entry_id(entry.get())), path,
              "cannot read " + dir);
        sub.reset(raw_sub);
      }
    }
    listing = sub.get();
  }
  if (listing != nullptr) {
    for (std::size_t i = 0; i < git_tree_entrycount(listing); ++i) {
      const git_tree_entry *e = git_tree_entry_byindex(listing, i);
      if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
        const std::string name = (dir.empty() ? "" : dir + "/") + git_tree_entry_name(e);
        read_blob(git_tree_entry_id(e), name);
      }
    }
  }
  for (const auto &p : extra) {
    git_tree_entry *raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, root.get(), p.c_str()) == 0) {
      const TreeEntry entry(raw_entry);
      if (git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB) {
        read_blob(git_tree_entry_id(entry.get()), p);
      }
    }
  }
  return files;
}

} // namespace forge
