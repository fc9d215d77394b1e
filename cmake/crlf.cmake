# Copies text files into a folder with CRLF line ends, so that Notepad on every
# Windows version shows their lines. A file that already has CRLF keeps it (no CR
# is doubled); a lone LF becomes CRLF.
#   cmake -DTO=<folder> -DFILES=<file>|<file>|... -P crlf.cmake
string(REPLACE "|" ";" files "${FILES}")
foreach(f IN LISTS files)
  if(f STREQUAL "")
    continue()
  endif()
  file(READ "${f}" text)
  string(REPLACE "\r\n" "\n" text "${text}")
  string(REPLACE "\n" "\r\n" text "${text}")
  get_filename_component(name "${f}" NAME)
  file(WRITE "${TO}/${name}" "${text}")
endforeach()
