# Writes the build-info header at every build (not only at configure time), so `corey --version` and the
# environment block of every results file name the commit that was actually built. configure_file leaves
# the header untouched when nothing changed, so nothing recompiles needlessly. Untracked files count as
# dirty: the layer globs compile them in.
execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE COREY_GIT_SHA OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE COREY_GIT_STATUS OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT COREY_GIT_SHA)
  set(COREY_GIT_SHA "unknown")
endif()
if(COREY_GIT_STATUS)
  set(COREY_GIT_DIRTY true)
else()
  set(COREY_GIT_DIRTY false)
endif()
configure_file(${SOURCE_DIR}/lib/core/build_info.hpp.in ${OUTPUT} @ONLY)
