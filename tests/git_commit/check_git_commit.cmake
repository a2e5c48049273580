# The commit of a build (cmake/GitCommit.cmake) for a tree that is not the top of a git
# work tree (a copy without .git, here a folder inside the build tree): "unknown" without
# CPB_GIT_SHA, its value (source "env", dirtiness unknown) with it, an unchanged value
# leaves the generated file untouched, and a value that is not a commit fails.
#   cmake -DSCRIPT=<cmake/GitCommit.cmake> -DWORK=<scratch dir> -P check_git_commit.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/tree")
set(out "${WORK}/git_commit.cpp")

# Runs the script with CPB_GIT_SHA set to `value` ("" unsets it); sets rc and text.
macro(generate value)
  if("${value}" STREQUAL "")
    set(env_arg --unset=CPB_GIT_SHA)
  else()
    set(env_arg "CPB_GIT_SHA=${value}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${env_arg}
                          ${CMAKE_COMMAND} -DSOURCE_DIR=${WORK}/tree -DOUT=${out} -P ${SCRIPT}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  set(text "")
  if(EXISTS "${out}")
    file(READ "${out}" text)
  endif()
endmacro()

generate("")
if(NOT rc EQUAL 0 OR NOT text MATCHES "BuildCommit c\\{\"unknown\", -1, \"unknown\"\\}")
  message(FATAL_ERROR "without git and CPB_GIT_SHA: rc=${rc} ${err}\n${text}")
endif()
generate("8b339fe")
if(NOT rc EQUAL 0 OR NOT text MATCHES "BuildCommit c\\{\"8b339fe\", -1, \"env\"\\}")
  message(FATAL_ERROR "with CPB_GIT_SHA=8b339fe: rc=${rc} ${err}\n${text}")
endif()
file(TIMESTAMP "${out}" before "%s")
execute_process(COMMAND ${CMAKE_COMMAND} -E sleep 1.1)
generate("8b339fe")
file(TIMESTAMP "${out}" after "%s")
if(NOT before STREQUAL after)
  message(FATAL_ERROR "an unchanged commit rewrote ${out} (${before} -> ${after})")
endif()
generate("8b339fe\" \"x")
if(rc EQUAL 0 OR NOT err MATCHES "is not a commit")
  message(FATAL_ERROR "a CPB_GIT_SHA that is not a commit was accepted: rc=${rc} ${err}")
endif()

# In a git work tree, CPB_GIT_SHA still wins (a device copy's .git may be stale); without
# it the tree's HEAD is the commit.
find_program(git git)
if(git)
  file(MAKE_DIRECTORY "${WORK}/gittree")
  set(out "${WORK}/git_commit_git.cpp")
  execute_process(COMMAND ${git} init -q WORKING_DIRECTORY "${WORK}/gittree")
  execute_process(COMMAND ${git} -c user.name=t -c user.email=t@t commit -q --allow-empty -m x
                  WORKING_DIRECTORY "${WORK}/gittree")
  execute_process(COMMAND ${git} rev-parse HEAD WORKING_DIRECTORY "${WORK}/gittree"
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env CPB_GIT_SHA=8b339fe
                          ${CMAKE_COMMAND} -DSOURCE_DIR=${WORK}/gittree -DOUT=${out} -P ${SCRIPT}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  file(READ "${out}" text)
  if(NOT rc EQUAL 0 OR NOT text MATCHES "BuildCommit c\\{\"8b339fe\", -1, \"env\"\\}")
    message(FATAL_ERROR "CPB_GIT_SHA did not win over git: rc=${rc} ${err}\n${text}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=CPB_GIT_SHA
                          ${CMAKE_COMMAND} -DSOURCE_DIR=${WORK}/gittree -DOUT=${out} -P ${SCRIPT}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  file(READ "${out}" text)
  if(NOT rc EQUAL 0 OR NOT text MATCHES "BuildCommit c\\{\"${head}\", 0, \"git\"\\}")
    message(FATAL_ERROR "without CPB_GIT_SHA the git HEAD ${head} is not the commit: rc=${rc} ${err}\n${text}")
  endif()
endif()
