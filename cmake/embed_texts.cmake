# sg_embed_texts(OUT NAMES_VAR TEXTS_VAR FILE...): writes OUT, a C file defining two NULL-terminated arrays,
# NAMES_VAR (each file's name) and TEXTS_VAR (its contents as one string). Runs at configure time and registers the
# files as configure dependencies, so editing one regenerates OUT on the next build; OUT is rewritten only when it
# changes, so an unrelated reconfigure rebuilds nothing.
function(sg_embed_texts out names_var texts_var)
  set(names "")
  set(texts "")
  foreach(f ${ARGN})
    get_filename_component(name ${f} NAME)
    file(READ ${f} text)
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    string(REPLACE "\t" "\\t" text "${text}")
    string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
    string(APPEND names "    \"${name}\",\n")
    string(APPEND texts "    /* ${name} */\n    \"${text}\",\n")
  endforeach()
  set(content "/* Generated at configure time by cmake/embed_texts.cmake. */\n")
  string(APPEND content "const char *const ${names_var}[] = {\n${names}    0,\n};\n\n")
  string(APPEND content "const char *const ${texts_var}[] = {\n${texts}    0,\n};\n")
  file(WRITE ${out}.new "${content}")
  configure_file(${out}.new ${out} COPYONLY)
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ARGN})
endfunction()
