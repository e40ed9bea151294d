# embed_text(<out-var> <file> <symbol>): generates a .cpp defining
# `extern const std::string_view subscriberd::embedded::<symbol>` with the file's contents.
function(embed_text out_var file symbol)
  set(generated ${CMAKE_BINARY_DIR}/generated/embedded/${symbol}.cpp)
  add_custom_command(
    OUTPUT ${generated}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${file} -DOUTPUT=${generated} -DSYMBOL=${symbol}
            -P ${CMAKE_SOURCE_DIR}/cmake/EmbedTextScript.cmake
    DEPENDS ${file} ${CMAKE_SOURCE_DIR}/cmake/EmbedTextScript.cmake
    COMMENT "Embedding ${file}")
  set(${out_var} ${generated} PARENT_SCOPE)
endfunction()
