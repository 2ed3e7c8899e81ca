# Writes the man page and the shell completions by running the built forge: they come from the same
# definition of the command line as `forge --help`, so they never disagree with it.
# Usage: cmake -DFORGE=<forge binary> -DOUT=<dir> -P ForgeDocs.cmake
foreach(pair "man;forge.1" "completions;bash;forge.bash" "completions;zsh;_forge" "completions;fish;forge.fish")
  list(POP_BACK pair file)
  execute_process(COMMAND ${FORGE} ${pair} OUTPUT_FILE ${OUT}/${file}.tmp RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "forge ${pair} failed (${status})")
  endif()
  file(RENAME ${OUT}/${file}.tmp ${OUT}/${file})
endforeach()
