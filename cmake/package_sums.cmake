# Writes SHA256SUMS in the package folder: the SHA-256 of each binary, in the form
# `sha256sum -c` and PowerShell's Get-FileHash can be compared with.
#   cmake -DDIR=<package folder> -P package_sums.cmake
set(sums "")
foreach(f x64/rashangup.dll x64/rrashost.exe)
  file(SHA256 "${DIR}/${f}" h)
  string(APPEND sums "${h}  ${f}\n")
endforeach()
file(WRITE "${DIR}/SHA256SUMS" "${sums}")
