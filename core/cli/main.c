/*
 * The strata command: a thin layer over libstrata (include/strata/strata.h only).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>

#include "commands.h"
#include "help.h"
#include "options.h"

int
main(int argc, char **argv)
{
    cli c;
    int rc = cli_parse(argc, argv, &c);
    if (rc != -1)
        return rc;
    if (c.command == NULL) {
        cli_help(c.help ? stdout : stderr, NULL);
        return c.help ? EXIT_OK : EXIT_USAGE;
    }
    return cli_run(&c);
}
