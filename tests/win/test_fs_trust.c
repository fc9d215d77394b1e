/* SPDX-License-Identifier: MIT */
/*
 * Whose folders the checks trust: the account the process runs as (LocalSystem
 * under RRAS, the user under Wine) unless rrashost --check-config judges them
 * as the service would, for an administrator whose own account the service
 * does not trust.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <windows.h>

#include <cmocka.h>

#include "files.h"
#include "wintest.h"

static void this_accounts_folder_is_trusted_unless_judged_as_the_service(void **state)
{
    WCHAR dir[MAX_PATH];
    char why[512] = "";
    HANDLE h;

    (void)state;
    wt_make_temp_dir(L"fs-trust", dir, MAX_PATH);
    h = rh_dir_check_trusted(dir, why, sizeof why);
    if (h == INVALID_HANDLE_VALUE)
        fail_msg("this account's folder %ls is refused: %s", dir, why);
    CloseHandle(h);

    rh_fs_trust_self(false);
    h = rh_dir_check_trusted(dir, why, sizeof why);
    rh_fs_trust_self(true);
    if (h != INVALID_HANDLE_VALUE) {
        CloseHandle(h);
        fail_msg("%ls, owned by this account, passes as the service's", dir);
    }
    if (strstr(why, "not owned by SYSTEM, Administrators or TrustedInstaller") == NULL &&
        strstr(why, "is in a folder that lets users other than SYSTEM") == NULL)
        fail_msg("refused for another reason: %s", why);

    h = rh_dir_check_trusted(dir, why, sizeof why);
    assert_true(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    wt_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(this_accounts_folder_is_trusted_unless_judged_as_the_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
