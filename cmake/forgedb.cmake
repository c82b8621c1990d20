# forgedb_layer(NAME <layer> SOURCES <files...> DEPS <targets...>)
# Creates the static library forgedb_<layer>; src/ is the include root.
function(forgedb_layer)
  cmake_parse_arguments(L "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(forgedb_${L_NAME} STATIC ${L_SOURCES})
  target_include_directories(forgedb_${L_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(forgedb_${L_NAME} PUBLIC ${L_DEPS} PRIVATE forgedb_warnings)
endfunction()

# forgedb_embed_sql(OUT <cpp> VARIABLE <function name> DIR <dir>)
# Turns the numbered migration files of DIR into a C++ table compiled into the binary.
function(forgedb_embed_sql)
  cmake_parse_arguments(E "" "OUT;VARIABLE;DIR" "" ${ARGN})
  file(GLOB files CONFIGURE_DEPENDS "${E_DIR}/*.sql")
  list(SORT files)
  set(body "")
  foreach(f ${files})
    # Editing a migration re-runs the configure step that embeds it.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    get_filename_component(name ${f} NAME)
    file(READ ${f} sql)
    string(APPEND body "    {\"${name}\", R\"forgedb_sql(${sql})forgedb_sql\"},\n")
  endforeach()
  file(WRITE ${E_OUT}.tmp
    "// Generated from ${E_DIR} at configure time; edit the .sql files instead.\n"
    "#include \"forgedb/store/migrations.hpp\"\n"
    "namespace forgedb::store {\n"
    "const std::vector<Migration>& ${E_VARIABLE}() {\n"
    "  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
    "  return kMigrations;\n}\n}  // namespace forgedb::store\n")
  configure_file(${E_OUT}.tmp ${E_OUT} COPYONLY)
endfunction()
