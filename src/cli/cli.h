/*
 * The command line: `caremail COMMAND [options]`, every administrative task
 * from the shell, with plain or --json output. Layer: front end.
 * SECURITY: passwords are read from stdin only, never from argv, and wiped.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

/*
 * Runs one command and returns the process exit status: 0 done, 1 the
 * command failed (a sentence on stderr), 2 the command line was wrong.
 */
int cli_main(int argc, char **argv);

#endif
