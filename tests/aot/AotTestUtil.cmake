# Helpers shared by the AOT test scripts (included by them; run with cmake -P).

# aot_run(OUTPUT_VAR EXPECT_STATUS cmd args...): runs the command, prints what
# it printed, fails the test unless it exits with EXPECT_STATUS ("0", "2", ...).
function(aot_run outputVar expectStatus)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " shown "${ARGN}")
  message("$ ${shown}\n${out}${err}")
  if(NOT status STREQUAL "${expectStatus}")
    message(FATAL_ERROR "expected exit status ${expectStatus}, got '${status}' from: ${shown}")
  endif()
  set(${outputVar} "${out}${err}" PARENT_SCOPE)
endfunction()

# aot_expect_match(TEXT REGEX WHAT): fails unless TEXT matches REGEX.
function(aot_expect_match text regex what)
  if(NOT "${text}" MATCHES "${regex}")
    message(FATAL_ERROR "${what}: output does not match '${regex}'")
  endif()
endfunction()

foreach(var IN ITEMS ${AOT_REQUIRED_VARS})
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE}: -D${var}=... is required")
  endif()
endforeach()
