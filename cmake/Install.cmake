# What `cmake --install BUILD --prefix PREFIX` installs (docs/host-api.md, docs/aot.md):
#
#   bin/      nutshell-compile, nutshell-run, nutshell-opt
#   include/  nutshell/*.h, the public headers (each stands alone)
#   lib/      the static archives; cmake/nutshell/ (find_package(nutshell CONFIG):
#             nutshell::api, nutshell::runtime); pkgconfig/nutshell-runtime.pc
#
# Components: `aot` is nutshell-compile and the archives its executables link
# (it finds them in ../lib, aot/Toolchain.h), with the pkg-config file for
# linking its objects; `tools` the other two tools; `dev` the host API's
# headers, archives and the CMake package. The package needs all three.
#
# Directories are spelled out rather than taken from GNUInstallDirs, whose
# lib/<multiarch> on Debian would hide the archives from nutshell-compile.

# ---- the AOT compiler and its runtime ------------------------------------------
install(TARGETS nutshell_aot_main ARCHIVE DESTINATION lib COMPONENT aot)
install(TARGETS nutshell_runtime EXPORT nutshellTargets ARCHIVE DESTINATION lib COMPONENT aot)
if(TARGET nutshell-compile)
  install(TARGETS nutshell-compile RUNTIME DESTINATION bin COMPONENT aot)
endif()

# ---- the other tools -------------------------------------------------------------
install(TARGETS nutshell-run nutshell-opt RUNTIME DESTINATION bin COMPONENT tools)

# ---- the host API: headers and every archive nutshell_api links ------------------
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/nutshell DESTINATION include COMPONENT dev FILES_MATCHING PATTERN "*.h")
# Static archives carry their link dependencies as targets, so all of them are
# exported; consumers name only nutshell::api and nutshell::runtime.
set(NUTSHELL_EXPORTED_LIBS nutshell_ir nutshell_backend_common nutshell_reference nutshell_passes nutshell_backends
                           nutshell_api)
foreach(optional nutshell_cpu nutshell_cuda nutshell_onnx)
  if(TARGET ${optional})
    list(APPEND NUTSHELL_EXPORTED_LIBS ${optional})
  endif()
endforeach()
if(TARGET nutshell_cuda)
  list(APPEND NUTSHELL_EXPORTED_LIBS nutshell_cuda_driver)
endif()
install(TARGETS ${NUTSHELL_EXPORTED_LIBS} EXPORT nutshellTargets ARCHIVE DESTINATION lib COMPONENT dev)
foreach(lib nutshell_runtime ${NUTSHELL_EXPORTED_LIBS})
  string(REGEX REPLACE "^nutshell_" "" name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${name})
endforeach()

# ---- the CMake package ---------------------------------------------------------
include(CMakePackageConfigHelpers)
set(NUTSHELL_CMAKE_DIR lib/cmake/nutshell)
install(EXPORT nutshellTargets NAMESPACE nutshell:: DESTINATION ${NUTSHELL_CMAKE_DIR} COMPONENT dev)
# The config finds the packages the archives link, as this build found them.
set(NUTSHELL_PACKAGE_LLVM_VERSION "${LLVM_VERSION_MAJOR}.${LLVM_VERSION_MINOR}")
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/nutshellConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/package/nutshellConfig.cmake
                              INSTALL_DESTINATION ${NUTSHELL_CMAKE_DIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/nutshellConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/nutshellConfig.cmake ${CMAKE_BINARY_DIR}/package/nutshellConfigVersion.cmake
        DESTINATION ${NUTSHELL_CMAKE_DIR} COMPONENT dev)

# ---- pkg-config for the runtime that AOT objects link ----------------------------
# The same link line as docs/aot.md's `cc` command (and the generated header's
# comment), plus the sanitizer runtimes when the archive is instrumented.
set(NUTSHELL_PC_EXTRA_LIBS "")
if(NUTSHELL_SANITIZE)
  set(NUTSHELL_PC_EXTRA_LIBS " -fsanitize=address,undefined")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/nutshell-runtime.pc.in ${CMAKE_BINARY_DIR}/package/nutshell-runtime.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/package/nutshell-runtime.pc DESTINATION lib/pkgconfig COMPONENT aot)
