// Why: the BLAKE3 digests end up in soar metadata, so they must match the official vectors and b3sum.
#include "forge/hash/blake3.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Vector {
  size_t input_len;
  const char *hash; // 131 bytes of extended output, hex
};

// The "hash" field of test_vectors/test_vectors.json in the BLAKE3 repository.
constexpr std::array<Vector, 22> kVectors = {{
    {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b7faaf09fcd333050"
        "338ddfe085b8cc869ca98b206c08243a26f5487789e8f660afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda"
        "7001c22e159b402631f277ca96f2defdf1078282314e763699a31c5363165421cce14d"},
    {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213c3a6cb8bf623e20cdb535f8d1a5ffb86"
        "342d9c0b64aca3bce1d31f60adfa137b358ad4d79f97b47c3d5e79f179df87a3b9776ef8325f8329886ba42f07fb138b"
        "b502f4081cbcec3195c5871e6c23e2cc97d3c69a613eba131e5f1351f3f1da786545e5"},
    {1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b05592b15607500e1e8dd"
           "56bc6c7fc063715b7a1d737df5bad3339c56778957d870eb9717b57ea3d9fb68d1b55127bba6a906a4a24bbd5acb2d12"
           "3a37b28f9e9a81bbaae360d58f85e5fc9d75f7c370a0cc09b6522d9c8d822f2f28f485"},
    {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af71cf8107265ecdaf8505b95d8fcec83a9"
           "8a6a96ea5109d2c179c47a387ffbb404756f6eeae7883b446b70ebb144527c2075ab8ab204c0086bb22b7c93d465efc5"
           "7f8d917f0b385c6df265e77003b85102967486ed57db5c5ca170ba441427ed9afa684e"},
    {1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155358a994e52bf255d"
           "e60035742ec71bd08ac275a1b51cc6bfe332b0ef84b409108cda080e6269ed4b3e2c3f7d722aa4cdc98d16deb554e562"
           "7be8f955c98e1d5f9565a9194cad0c4285f93700062d9595adb992ae68ff12800ab67a"},
    {2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a9a60bf80001410ec9eea6698cd537939"
           "fad4749edd484cb541aced55cd9bf54764d063f23f6f1e32e12958ba5cfeb1bf618ad094266d4fc3c968c2088f677454"
           "c288c67ba0dba337b9d91c7e1ba586dc9a5bc2d5e90c14f53a8863ac75655461cea8f9"},
    {2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b687952256303096de31d71d74103403822a2e0bc1eb19"
           "3e7aecc9643a76b7bbc0c9f9c52e8783aae98764ca468962b5c2ec92f0c74eb5448d519713e09413719431c802f948dd"
           "5d90425a4ecdadece9eb178d80f26efccae630734dff63340285adec2aed3b51073ad3"},
    {3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd29a3f6b0b978d6608335c09dc94ccf682"
           "f9951cdfc501bfe47b9c9189a6fc7b404d120258506341a6d802857322fbd20d3e5dae05b95c88793fa83db1cb08e7d8"
           "008d1599b6209d78336e24839724c191b2a52a80448306e0daa84a3fdb566661a37e11"},
    {3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd39a27ae3b79d68d89da9bf25bc27139ae"
           "65a324918a5f9b7828181e52cf373c84f35b639b7fccbb985b6f2fa56aea0c18f531203497b8bbd3a07ceb5926f1cab7"
           "4d14bd66486d9a91eba99059a98bd1cd25876b2af5a76c3e9eed554ed72ea952b603bf"},
    {4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e9690289e9409ddb1b99768eafe1623da896"
           "faf7e1114bebeadc1be30829b6f8af707d85c298f4f0ff4d9438aef948335612ae921e76d411c3a9111df62d27eaf871"
           "959ae0062b5492a0feb98ef3ed4af277f5395172dbe5c311918ea0074ce0036454f620"},
    {4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb99505f91b0b5600a11251652eacfa9497b3"
           "1cd3c409ce2e45cfe6c0a016967316c426bd26f619eab5d70af9a418b845c608840390f361630bd497b1ab4401931635"
           "7c61dbe091ce72fc16dc340ac3d6e009e050b3adac4b5b2c92e722cffdc46501531956"},
    {5120, "9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833acc61c8fdc114a2010ce8038c853e121"
           "e1544985133fccdd0a2d507e8e615e611e9a0ba4f47915f49e53d721816a9198e8b30f12d20ec3689989175f1bf7a300"
           "eee0d9321fad8da232ece6efb8e9fd81b42ad161f6b9550a069e66b11b40487a5f5059"},
    {5121, "628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff96adaab0613a6146cdaabe498c3a94e5"
           "29d3fc1da2bd08edf54ed64d40dcd6777647eac51d8277d70219a9694334a68bc8f0f23e20b0ff70ada6f844542dfa32"
           "cd4204ca1846ef76d811cdb296f65e260227f477aa7aa008bac878f72257484f2b6c95"},
    {6144, "3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca2054d742022da6fdda444ebc384b04a54c3"
           "ac5839b49da7d39f6d8a9db03deab32aade156c1c0311e9b3435cde0ddba0dce7b26a376cad121294b689193508dd631"
           "51603c6ddb866ad16c2ee41585d1633a2cea093bea714f4c5d6b903522045b20395c83"},
    {6145, "f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f18a2cfdd73c6e39dd75ce7c1c6e3ef23"
           "8fd54465f053b25d21044ccb2093beb015015532b108313b5829c3621ce324b8e14229091b7c93f32db2e4e63126a377"
           "d2a63a3597997d4f1cba59309cb4af240ba70cebff9a23d5e3ff0cdae2cfd54e070022"},
    {7168, "61da957ec2499a95d6b8023e2b0e604ec7f6b50e80a9678b89d2628e99ada77a5707c321c83361793b9af62a40f43b52"
           "3df1c8633cecb4cd14d00bdc79c78fca5165b863893f6d38b02ff7236c5a9a8ad2dba87d24c547cab046c29fc5bc1ed1"
           "42e1de4763613bb162a5a538e6ef05ed05199d751f9eb58d332791b8d73fb74e4fce95"},
    {7169, "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e781798a8b20534be1ca9eb2ae2df3fae2ea6"
           "0e48c6fb0b850b1385b5de0fe460dbe9d9f9b0d8db4435da75c601156df9d047f4ede008732eb17adc05d96180f8a735"
           "48522840779e6062d643b79478a6e8dbce68927f36ebf676ffa7d72d5f68f050b119c8"},
    {8192, "aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a635fe51a27db045a567c1ad51be5aa34c0"
           "1c6651c4d9b5b5ac5d0fd58cf18dd61a47778566b797a8c67df7b1d60b97b19288d2d877bb2df417ace009dcb0241ca1"
           "257d62712b6a4043b4ff33f690d849da91ea3bf711ed583cb7b7a7da2839ba71309bbf"},
    {8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3bb2282aa69be089359ea1154b9a9286c4"
           "a56af4de975a9aa4a5c497654914d279bea60bb6d2cf7225a2fa0ff5ef56bbe4b149f3ed15860f78b4e2ad04e158e375"
           "c1e0c0b551cd7dfc82f1b155c11b6b3ed51ec9edb30d133653bb5709d1dbd55f4e1ff6"},
    {16384, "f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde49d764c270176e53e97bdffa58d549073"
            "f2c660be0e81293767ed4e4929f9ad34bbb39a529334c57c4a381ffd2a6d4bfdbf1482651b172aa883cc13408fa67758"
            "a3e47503f93f87720a3177325f7823251b85275f64636a8f1d599c2e49722f42e93893"},
    {31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47860cc51f2b0c28a7b77304bd55fe73af"
            "663c02d3f52ea053ba43431ca5bab7bfea2f5e9d7121770d88f70ae9649ea713087d1914f7f312147e247f87eb2d4ffe"
            "f0ac978bf7b6579d57d533355aa20b8b77b13fd09748728a5cc327a8ec470f4013226f"},
    {102400,
     "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085e01c59dab908c04c3342b816941a26d6"
     "9c2605ebee5ec5291cc55e15b76146e6745f0601156c3596cb75065a9c57f35585a52e1ac70f69131c23d611ce11ee4a"
     "b1ec2c009012d236648e77be9295dd0426f29b764d65de58eb7d01dd42248204f45f8e"},
}};

std::string vector_input(size_t len) {
  std::string input(len, '\0');
  for (size_t i = 0; i < len; ++i) {
    input[i] = static_cast<char>(i % 251);
  }
  return input;
}

std::string pseudo_random(size_t len, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(len, '\0');
  for (auto &c : out) {
    c = static_cast<char>(rng() & 0xff);
  }
  return out;
}

// A scratch file that removes itself.
class TempFile {
public:
  explicit TempFile(const std::string &content) {
    path_ = fs::temp_directory_path() /
            ("forge_blake3_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::ofstream out(path_, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  [[nodiscard]] const fs::path &path() const { return path_; }

private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(Blake3, OfficialVectors) {
  for (const auto &v : kVectors) {
    SCOPED_TRACE("input_len " + std::to_string(v.input_len));
    const std::string expected = v.hash;
    ASSERT_EQ(expected.size(), 262U);
    const std::string input = vector_input(v.input_len);
    forge::Blake3 h;
    h.update(input.data(), input.size());
    EXPECT_EQ(h.hex_digest(), expected.substr(0, 64));
    EXPECT_EQ(h.hex_digest(131), expected);
    EXPECT_EQ(forge::blake3_hex(input), expected.substr(0, 64));
  }
}

TEST(Blake3, ExtendedOutputIsAPrefixFamily) {
  const std::string input = vector_input(5000);
  forge::Blake3 h;
  h.update(input.data(), input.size());
  const std::string long_out = h.hex_digest(1000); // crosses many 64-byte output blocks
  ASSERT_EQ(long_out.size(), 2000U);
  for (size_t len : {0U, 1U, 31U, 63U, 64U, 65U, 128U, 500U}) {
    EXPECT_EQ(h.hex_digest(len), long_out.substr(0, 2 * len)) << len;
  }
}

TEST(Blake3, IncrementalEqualsOneShot) {
  const std::string input = pseudo_random(300000, 7);
  const std::string one_shot = forge::blake3_hex(input);
  for (size_t piece : {1U, 3U, 63U, 64U, 65U, 127U, 1000U, 1023U, 1024U, 1025U, 4097U, 65537U}) {
    forge::Blake3 h;
    size_t pos = 0;
    size_t step = piece;
    while (pos < input.size()) {
      const size_t take = std::min(step, input.size() - pos);
      h.update(input.data() + pos, take);
      pos += take;
      step = step % 7 == 0 ? piece : step + 1; // vary the piece sizes a little
    }
    EXPECT_EQ(h.hex_digest(), one_shot) << "piece " << piece;
  }
  // Empty updates are no-ops, and a digest does not consume the state.
  forge::Blake3 h;
  h.update(input.data(), 1500);
  h.update(nullptr, 0);
  (void)h.hex_digest();
  h.update(input.data() + 1500, input.size() - 1500);
  EXPECT_EQ(h.hex_digest(), one_shot);
}

TEST(Blake3, MoveKeepsState) {
  forge::Blake3 a;
  a.update("abc", 3);
  forge::Blake3 b = std::move(a);
  EXPECT_EQ(b.hex_digest(), forge::blake3_hex("abc"));
}

TEST(Blake3, FileEqualsMemory) {
  for (size_t len : {0U, 1U, 1024U, 1025U, 700000U}) {
    const std::string content = pseudo_random(len, static_cast<uint32_t>(len) + 1);
    TempFile file(content);
    EXPECT_EQ(forge::blake3_file_hex(file.path()), forge::blake3_hex(content)) << len;
  }
}

TEST(Blake3, FileErrorsThrowIo) {
  const fs::path missing = fs::temp_directory_path() / "forge_blake3_no_such_file_here";
  try {
    (void)forge::blake3_file_hex(missing);
    FAIL() << "no exception";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::io);
    EXPECT_NE(std::string(e.what()).find("cannot read " + missing.string()), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)forge::blake3_file_hex(fs::temp_directory_path()), forge::Error); // a directory
}

TEST(Blake3, MatchesB3sum) {
  const fs::path b3sum = "/usr/bin/b3sum";
  if (!fs::exists(b3sum)) {
    GTEST_SKIP() << "b3sum is not installed";
  }
  TempFile file(pseudo_random(5 * 1024 * 1024 + 123, 42));
  const std::string command = b3sum.string() + " --no-names --length 131 '" + file.path().string() + "'";
  FILE *pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 512> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    output.append(buf.data(), n);
  }
  ASSERT_EQ(::pclose(pipe), 0) << command;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) {
    output.pop_back();
  }
  ASSERT_EQ(output.size(), 262U) << output;
  EXPECT_EQ(forge::blake3_file_hex(file.path()), output.substr(0, 64));

  std::string content(fs::file_size(file.path()), '\0');
  std::ifstream in(file.path(), std::ios::binary);
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  ASSERT_TRUE(in);
  forge::Blake3 h;
  h.update(content.data(), content.size());
  EXPECT_EQ(h.hex_digest(131), output);
}

} // namespace
