# Cross build for 32-bit Windows. Only 64-bit Wine is installed: its tests read
# the DLL's headers rather than run it.
set(RH_MINGW_TRIPLE i686-w64-mingw32)
set(CMAKE_SYSTEM_PROCESSOR i686)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-w64-common.cmake)
