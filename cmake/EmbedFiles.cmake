# shopcrm_embed(OUT_CC NAMESPACE FUNC FILES...): generates a .cc that defines
#   std::span<const EmbeddedFile> FUNC()
# holding the named files' contents, so migrations and the OpenAPI document
# ship inside the binary.
function(shopcrm_embed out_cc ns func)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT "${out_cc}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cc} -DNS=${ns} -DFUNC=${func}
            "-DFILES=${files}" -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    DEPENDS ${files} "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    COMMENT "Embedding ${func}"
    VERBATIM)
endfunction()
