# Sourced by demo.sh and test.sh: ccache settings under which a build of this tree hits the cache of a build
# of another checkout (CI's quick-start check builds a fresh clone after the main build). Paths under the
# checkout are hashed relative to the build directory, and the build directory itself is not hashed (the
# debug information of a hit then names the other checkout's directory).
export CCACHE_BASEDIR=$PWD
export CCACHE_NOHASHDIR=1
