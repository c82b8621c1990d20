# forgedb_layer(NAME <layer> SOURCES <files...> DEPS <targets...>)
# Creates the static library forgedb_<layer>; src/ is the include root.
function(forgedb_layer)
  cmake_parse_arguments(L "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(forgedb_${L_NAME} STATIC ${L_SOURCES})
  target_include_directories(forgedb_${L_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(forgedb_${L_NAME} PUBLIC ${L_DEPS} PRIVATE forgedb_warnings)
endfunction()

# forgedb_embed_sql(OUT <cpp> VARIABLE <function name> DIRS <dir>...)
# Turns the numbered migration files of the DIRS (the engine's schema/<dialect>/ and each forge's
# forges/<name>/schema/<dialect>/) into one C++ table compiled into the binary, ordered by file
# name across the folders. Two files of the same name stop the configure step.
function(forgedb_embed_sql)
  cmake_parse_arguments(E "" "OUT;VARIABLE" "DIRS" ${ARGN})
  set(entries "")
  foreach(dir ${E_DIRS})
    file(GLOB dir_files CONFIGURE_DEPENDS "${dir}/*.sql")
    foreach(f ${dir_files})
      get_filename_component(name ${f} NAME)
      list(APPEND entries "${name}|${f}")
    endforeach()
  endforeach()
  list(SORT entries)
  set(body "")
  set(seen "")
  foreach(entry ${entries})
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 name)
    list(GET parts 1 f)
    if(name IN_LIST seen)
      message(FATAL_ERROR "two migrations are named ${name}")
    endif()
    list(APPEND seen ${name})
    # Editing a migration re-runs the configure step that embeds it.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    file(READ ${f} sql)
    string(APPEND body "    {\"${name}\", R\"forgedb_sql(${sql})forgedb_sql\"},\n")
  endforeach()
  file(WRITE ${E_OUT}.tmp
    "// Generated from ${E_DIRS} at configure time; edit the .sql files instead.\n"
    "#include \"forgedb/store/migrations.hpp\"\n"
    "namespace forgedb::store {\n"
    "const std::vector<Migration>& ${E_VARIABLE}() {\n"
    "  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
    "  return kMigrations;\n}\n}  // namespace forgedb::store\n")
  configure_file(${E_OUT}.tmp ${E_OUT} COPYONLY)
endfunction()
