/* SPDX-License-Identifier: MIT */
/*
 * Whether a folder or a file is safe for LocalSystem to write in, rename or
 * delete: the decision, apart from how Windows is asked.
 *
 * rashangup runs as LocalSystem. A folder that anyone else may write to (or
 * that anyone else owns: an owner can always rewrite the DACL) lets that
 * someone plant a junction, a symbolic link or a hard link where the service
 * will next open, rename or delete a file, and so steer SYSTEM's writes onto
 * any file of the machine. The Windows shell (fs_check.c) reads an object's
 * owner, DACL, attributes and link count into struct rh_fs_object; this
 * decides, and is tested natively with synthetic security descriptors.
 *
 * The rules:
 * - never a reparse point (junction, symbolic link, mount point);
 * - a file: a regular file with exactly one name (a hard link is refused);
 * - a folder, and a file whose owner and DACL are given: the owner is SYSTEM,
 *   Administrators, TrustedInstaller or the account the service runs as; the
 *   DACL exists (a NULL DACL grants everyone everything); and no ACE that
 *   applies to the object itself grants a right that modifies it (write,
 *   append, delete, delete a child, change attributes, extended attributes,
 *   the DACL or the owner, or a generic write) to anyone else. Deny ACEs are
 *   ignored: they can only take rights away, and ignoring them errs towards
 *   refusing. An allow ACE whose trustee cannot be read counts as "anyone else".
 */
#ifndef RH_TRUST_H
#define RH_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who a SID is, as far as trust goes. */
enum rh_principal {
    RH_PRINCIPAL_OTHER = 0,         /* anyone else: a user, Users, Everyone, a service SID... */
    RH_PRINCIPAL_SYSTEM,            /* S-1-5-18 */
    RH_PRINCIPAL_ADMINS,            /* S-1-5-32-544 */
    RH_PRINCIPAL_TRUSTED_INSTALLER, /* NT SERVICE\TrustedInstaller */
    RH_PRINCIPAL_SELF,              /* the account this process runs as (LocalSystem under RRAS) */
    RH_PRINCIPAL_CREATOR_OWNER,     /* S-1-3-0: a template for inheritance, grants nothing itself */
    RH_PRINCIPAL_OWNER_RIGHTS,      /* S-1-3-4: whoever owns the object */
};

/* Access rights that let their holder change an object or what a folder holds. */
#define RH_FS_WRITE_DATA       0x00000002u /* FILE_WRITE_DATA, FILE_ADD_FILE */
#define RH_FS_APPEND_DATA      0x00000004u /* FILE_APPEND_DATA, FILE_ADD_SUBDIRECTORY */
#define RH_FS_WRITE_EA         0x00000010u
#define RH_FS_DELETE_CHILD     0x00000040u
#define RH_FS_WRITE_ATTRIBUTES 0x00000100u
#define RH_FS_DELETE           0x00010000u
#define RH_FS_WRITE_DAC        0x00040000u
#define RH_FS_WRITE_OWNER      0x00080000u
#define RH_FS_MAXIMUM_ALLOWED  0x02000000u
#define RH_FS_GENERIC_ALL      0x10000000u
#define RH_FS_GENERIC_WRITE    0x40000000u
#define RH_FS_MODIFY_RIGHTS                                                                        \
    (RH_FS_WRITE_DATA | RH_FS_APPEND_DATA | RH_FS_WRITE_EA | RH_FS_DELETE_CHILD |                  \
     RH_FS_WRITE_ATTRIBUTES | RH_FS_DELETE | RH_FS_WRITE_DAC | RH_FS_WRITE_OWNER |                 \
     RH_FS_MAXIMUM_ALLOWED | RH_FS_GENERIC_ALL | RH_FS_GENERIC_WRITE)

struct rh_fs_ace {
    bool allow;        /* an ACCESS_ALLOWED ACE of any kind; false: deny, audit, other */
    bool inherit_only; /* INHERIT_ONLY_ACE: applies to children only, not to this object */
    enum rh_principal who;
    uint32_t mask;
};

/* What was read of one object (a folder, or a file), by handle, without following links. */
struct rh_fs_object {
    bool is_directory;
    bool is_reparse_point;
    bool is_regular;     /* a disk file (not a device, pipe or socket); folders: ignored */
    uint32_t link_count; /* names the file has; folders: ignored */
    bool has_security;   /* owner and DACL below were read; false: a file not checked for them */
    enum rh_principal owner;
    bool dacl_present; /* false: a NULL DACL */
    const struct rh_fs_ace *aces;
    size_t n_aces;
};

enum rh_trust {
    RH_TRUST_OK = 0,
    RH_TRUST_REPARSE_POINT, /* a junction, symbolic link or mount point */
    RH_TRUST_NOT_DIRECTORY, /* a folder was expected */
    RH_TRUST_NOT_FILE,      /* a regular file was expected: a folder, a device, a pipe */
    RH_TRUST_HARD_LINKS,    /* the file has more than one name */
    RH_TRUST_OWNER,         /* owned by someone other than SYSTEM, Administrators, ... */
    RH_TRUST_NULL_DACL,     /* everyone may do everything */
    RH_TRUST_WRITABLE,      /* an ACE lets someone else modify it */
    RH_TRUST_UNREADABLE,    /* a folder whose owner and DACL could not be read */
    RH_TRUST_PARENT,        /* its parent lets someone else rename or replace it */
};

/*
 * Decides for `o`, expected to be a folder (`want_directory`) or a file. On
 * RH_TRUST_WRITABLE, *ace (if not NULL) is the index of the first offending ACE.
 */
enum rh_trust rh_trust_check(const struct rh_fs_object *o, bool want_directory, size_t *ace);

/*
 * Rights on a folder that let their holder rename, delete or replace what it
 * holds (or take those rights): what a trusted folder's parent must not grant
 * anyone else. Adding files and folders (which C:\ProgramData and a volume's
 * root grant Users) is not among them.
 */
#define RH_FS_PARENT_RIGHTS                                                                        \
    (RH_FS_DELETE_CHILD | RH_FS_WRITE_DAC | RH_FS_WRITE_OWNER | RH_FS_MAXIMUM_ALLOWED |            \
     RH_FS_GENERIC_ALL)

/*
 * Decides for the parent of a folder that passed rh_trust_check: its owner is
 * trusted and no ACE that applies to it grants RH_FS_PARENT_RIGHTS to anyone
 * else (RH_TRUST_PARENT otherwise, also when its security was not read).
 */
enum rh_trust rh_trust_check_parent(const struct rh_fs_object *parent);

/*
 * Rights on a named pipe that let their holder serve it too (create an
 * instance, the FILE_APPEND_DATA bit), or take that right.
 */
#define RH_PIPE_SERVER_RIGHTS                                                                      \
    (RH_FS_APPEND_DATA | RH_FS_WRITE_DAC | RH_FS_WRITE_OWNER | RH_FS_MAXIMUM_ALLOWED |             \
     RH_FS_GENERIC_ALL | RH_FS_GENERIC_WRITE)

/*
 * Decides for a named pipe the service is a client of: its owner is trusted,
 * its DACL exists, and no ACE lets anyone else serve it (RH_PIPE_SERVER_RIGHTS):
 * RH_TRUST_OWNER, RH_TRUST_NULL_DACL or RH_TRUST_WRITABLE otherwise. A pipe whose
 * security was not read is refused (RH_TRUST_UNREADABLE).
 */
enum rh_trust rh_trust_check_pipe(const struct rh_fs_object *pipe);

/* A short English reason for a verdict, to follow a path in a message. */
const char *rh_trust_text(enum rh_trust t);

#endif /* RH_TRUST_H */
