/* SPDX-License-Identifier: MIT */
/*
 * The trust decision for folders and files LocalSystem writes in, against
 * synthetic security descriptors shaped like the ones Windows hands out:
 * what rashangup creates, what a user's folder in C:\ProgramData gets, what
 * an administrator's loosened ACL looks like.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "trust.h"

#define FA       0x001F01FFu /* FILE_ALL_ACCESS */
#define RX       0x001200A9u /* read and execute */
#define R        0x00120089u /* FILE_GENERIC_READ */
#define NACES(a) (sizeof(a) / sizeof((a)[0]))

static struct rh_fs_object folder(enum rh_principal owner, const struct rh_fs_ace *aces, size_t n)
{
    struct rh_fs_object o = {
        .is_directory = true,
        .has_security = true,
        .owner = owner,
        .dacl_present = true,
        .aces = aces,
        .n_aces = n,
    };
    return o;
}

/* "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", owner Administrators: what install and the service make.
 */
static const struct rh_fs_ace private_aces[] = {
    {true, false, RH_PRINCIPAL_SYSTEM, FA},
    {true, false, RH_PRINCIPAL_ADMINS, FA},
};

static void private_folder_is_trusted(void **state)
{
    struct rh_fs_object o = folder(RH_PRINCIPAL_ADMINS, private_aces, NACES(private_aces));

    (void)state;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
    o.owner = RH_PRINCIPAL_SYSTEM;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
    o.owner = RH_PRINCIPAL_TRUSTED_INSTALLER;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
    o.owner = RH_PRINCIPAL_SELF;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
}

/*
 * A folder a user created in C:\ProgramData: owned by the user, with what
 * ProgramData's inheritable ACEs give it (Users may add files and folders).
 */
static void user_created_folder_is_refused(void **state)
{
    static const struct rh_fs_ace inherited[] = {
        {true, false, RH_PRINCIPAL_SYSTEM, FA},
        {true, false, RH_PRINCIPAL_ADMINS, FA},
        {true, true, RH_PRINCIPAL_CREATOR_OWNER, FA},
        {true, false, RH_PRINCIPAL_OTHER, RX},
        {true, false, RH_PRINCIPAL_OTHER, RH_FS_WRITE_DATA | RH_FS_APPEND_DATA},
    };
    struct rh_fs_object o = folder(RH_PRINCIPAL_OTHER, inherited, NACES(inherited));
    size_t ace = 99;

    (void)state;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OWNER);
    /* Owned by an administrator but still inheriting ProgramData's ACL: Users may add. */
    o.owner = RH_PRINCIPAL_ADMINS;
    assert_int_equal(rh_trust_check(&o, true, &ace), RH_TRUST_WRITABLE);
    assert_int_equal(ace, 4);
}

static void null_dacl_is_refused(void **state)
{
    struct rh_fs_object o = folder(RH_PRINCIPAL_SYSTEM, NULL, 0);

    (void)state;
    o.dacl_present = false;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_NULL_DACL);
    /* An empty DACL (nobody at all) is safe. */
    o.dacl_present = true;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
}

/* Every right that modifies, alone, granted to someone else refuses; reading never does. */
static void each_modify_right_is_refused(void **state)
{
    struct rh_fs_ace ace = {true, false, RH_PRINCIPAL_OTHER, 0};
    struct rh_fs_ace aces[3] = {private_aces[0], private_aces[1], ace};
    struct rh_fs_object o = folder(RH_PRINCIPAL_ADMINS, aces, 3);
    unsigned refused = 0;

    (void)state;
    for (unsigned bit = 0; bit < 32; bit++) {
        uint32_t mask = 1u << bit;
        enum rh_trust t;

        aces[2].mask = mask;
        t = rh_trust_check(&o, true, NULL);
        if ((mask & RH_FS_MODIFY_RIGHTS) != 0) {
            assert_int_equal(t, RH_TRUST_WRITABLE);
            refused++;
        } else {
            assert_int_equal(t, RH_TRUST_OK);
        }
    }
    assert_int_equal(refused, 11);
    aces[2].mask = R;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
    aces[2].mask = RX;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
    aces[2].mask = FA;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_WRITABLE);
}

/* ACEs that do not apply to the folder itself, or to no one, or that only deny. */
static void what_does_not_grant_is_ignored(void **state)
{
    struct rh_fs_ace aces[] = {
        private_aces[0],
        private_aces[1],
        {true, true, RH_PRINCIPAL_OTHER, FA},          /* inherit-only: children only */
        {true, false, RH_PRINCIPAL_CREATOR_OWNER, FA}, /* a template */
        {true, false, RH_PRINCIPAL_OWNER_RIGHTS, FA},  /* the owner: trusted */
        {false, false, RH_PRINCIPAL_OTHER, FA},        /* deny */
    };
    struct rh_fs_object o = folder(RH_PRINCIPAL_ADMINS, aces, NACES(aces));

    (void)state;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_OK);
    /* A deny does not cancel a later allow: deny ACEs are never counted on. */
    aces[2].inherit_only = false;
    aces[2].mask = RH_FS_DELETE_CHILD;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_WRITABLE);
}

static void reparse_points_are_refused(void **state)
{
    struct rh_fs_object o = folder(RH_PRINCIPAL_SYSTEM, private_aces, NACES(private_aces));

    (void)state;
    o.is_reparse_point = true;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_REPARSE_POINT);
    o.is_directory = false;
    o.is_regular = true;
    o.link_count = 1;
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_REPARSE_POINT);
}

static void files(void **state)
{
    struct rh_fs_object o = {.is_regular = true, .link_count = 1};

    (void)state;
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_OK);
    o.link_count = 2;
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_HARD_LINKS);
    o.link_count = 0;
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_HARD_LINKS);
    o.link_count = 1;
    o.is_regular = false; /* a pipe or a device */
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_NOT_FILE);
    o.is_regular = true;
    o.is_directory = true;
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_NOT_FILE);
    /* A folder where a file was expected, and the reverse. */
    o.is_directory = false;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_NOT_DIRECTORY);
    /* A file whose security was read is held to the folder rules too. */
    o.has_security = true;
    o.owner = RH_PRINCIPAL_OTHER;
    o.dacl_present = true;
    assert_int_equal(rh_trust_check(&o, false, NULL), RH_TRUST_OWNER);
}

static void unreadable_folder_is_refused(void **state)
{
    struct rh_fs_object o = {.is_directory = true};

    (void)state;
    assert_int_equal(rh_trust_check(&o, true, NULL), RH_TRUST_UNREADABLE);
}

/* C:\ProgramData as Windows ships it: Users may add folders, not remove others'. */
static void parents(void **state)
{
    static const struct rh_fs_ace program_data[] = {
        {true, false, RH_PRINCIPAL_SYSTEM, FA},
        {true, false, RH_PRINCIPAL_ADMINS, FA},
        {true, true, RH_PRINCIPAL_CREATOR_OWNER, FA},
        {true, false, RH_PRINCIPAL_OTHER, RX},
        {true, false, RH_PRINCIPAL_OTHER, RH_FS_WRITE_DATA | RH_FS_APPEND_DATA | 0x110u},
    };
    struct rh_fs_ace open_aces[] = {private_aces[0], {true, false, RH_PRINCIPAL_OTHER, FA}};
    struct rh_fs_object p = folder(RH_PRINCIPAL_SYSTEM, program_data, NACES(program_data));
    struct rh_fs_object none = {.is_directory = true};

    (void)state;
    assert_int_equal(rh_trust_check_parent(&p), RH_TRUST_OK);
    /* Not a folder to write in, though: Users may add to it. */
    assert_int_equal(rh_trust_check(&p, true, NULL), RH_TRUST_WRITABLE);
    /* Everyone with full control (a Unix 0777 folder under Wine) may rename what it holds. */
    p = folder(RH_PRINCIPAL_ADMINS, open_aces, NACES(open_aces));
    assert_int_equal(rh_trust_check_parent(&p), RH_TRUST_PARENT);
    for (unsigned bit = 0; bit < 32; bit++) {
        open_aces[1].mask = 1u << bit;
        assert_int_equal(rh_trust_check_parent(&p), (open_aces[1].mask & RH_FS_PARENT_RIGHTS) != 0
                                                        ? RH_TRUST_PARENT
                                                        : RH_TRUST_OK);
    }
    /* A parent owned by a user: its owner may grant itself anything. */
    p = folder(RH_PRINCIPAL_OTHER, private_aces, NACES(private_aces));
    assert_int_equal(rh_trust_check_parent(&p), RH_TRUST_PARENT);
    p.owner = RH_PRINCIPAL_SYSTEM;
    p.dacl_present = false;
    assert_int_equal(rh_trust_check_parent(&p), RH_TRUST_PARENT);
    /* A parent whose security could not be read is not trusted. */
    assert_int_equal(rh_trust_check_parent(&none), RH_TRUST_PARENT);
}

/*
 * A named pipe as Windows makes it by default (SYSTEM, Administrators and the
 * creator full control; Everyone and Anonymous read), and the ways it may let
 * someone else serve it too.
 */
static void pipes(void **state)
{
    struct rh_fs_ace aces[] = {
        {true, false, RH_PRINCIPAL_SYSTEM, FA},
        {true, false, RH_PRINCIPAL_ADMINS, FA},
        {true, false, RH_PRINCIPAL_OTHER, R}, /* Everyone: read */
        {true, false, RH_PRINCIPAL_OTHER, R}, /* Anonymous: read */
    };
    struct rh_fs_object p = folder(RH_PRINCIPAL_SYSTEM, aces, NACES(aces));
    struct rh_fs_object none = {0};

    (void)state;
    p.is_directory = false;
    assert_int_equal(rh_trust_check_pipe(&p), RH_TRUST_OK);
    p.owner = RH_PRINCIPAL_ADMINS;
    assert_int_equal(rh_trust_check_pipe(&p), RH_TRUST_OK);
    /* Clients may write to it: that is what a pipe is for. */
    aces[2].mask = R | RH_FS_WRITE_DATA;
    assert_int_equal(rh_trust_check_pipe(&p), RH_TRUST_OK);
    /* Creating an instance (FILE_APPEND_DATA), or taking that right, is serving it. */
    for (unsigned bit = 0; bit < 32; bit++) {
        aces[2].mask = 1u << bit;
        assert_int_equal(rh_trust_check_pipe(&p), (aces[2].mask & RH_PIPE_SERVER_RIGHTS) != 0
                                                      ? RH_TRUST_WRITABLE
                                                      : RH_TRUST_OK);
    }
    aces[2].mask = R;
    p.owner = RH_PRINCIPAL_OTHER; /* a user made it first */
    assert_int_equal(rh_trust_check_pipe(&p), RH_TRUST_OWNER);
    p.owner = RH_PRINCIPAL_SYSTEM;
    p.dacl_present = false;
    assert_int_equal(rh_trust_check_pipe(&p), RH_TRUST_NULL_DACL);
    /* What Wine reports for a pipe: no security at all. */
    assert_int_equal(rh_trust_check_pipe(&none), RH_TRUST_UNREADABLE);
}

static void every_verdict_has_a_text(void **state)
{
    (void)state;
    for (int t = RH_TRUST_OK; t <= RH_TRUST_PARENT; t++) {
        const char *text = rh_trust_text((enum rh_trust)t);

        assert_non_null(text);
        assert_true(strlen(text) > 5);
        assert_string_not_equal(text, "cannot be trusted");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(private_folder_is_trusted),
        cmocka_unit_test(user_created_folder_is_refused),
        cmocka_unit_test(null_dacl_is_refused),
        cmocka_unit_test(each_modify_right_is_refused),
        cmocka_unit_test(what_does_not_grant_is_ignored),
        cmocka_unit_test(reparse_points_are_refused),
        cmocka_unit_test(files),
        cmocka_unit_test(unreadable_folder_is_refused),
        cmocka_unit_test(parents),
        cmocka_unit_test(pipes),
        cmocka_unit_test(every_verdict_has_a_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
