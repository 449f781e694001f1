"""Prints each option a command takes (core/cli/options.c: command_options) that the
command's --help does not name, as "COMMAND --OPTION"; nothing when every help is whole.
Usage: help_options.py OPTIONS_C STRATA"""
import re,subprocess,sys
src=open(sys.argv[1]).read()
strata=sys.argv[2]
names={}
for m in re.finditer(r'\{"([a-z-]+)",\s*(?:no|required|optional)_argument,\s*NULL,\s*(OPT_[A-Z_]+)\}',src):
    names.setdefault(m.group(2),m.group(1))
tab=src[src.index('command_options[] = {'):]
tab=tab[:tab.index('};')]
macros=dict(re.findall(r'#define (\w+) ("[^"]*")',src))
missing=[]
for m in re.finditer(r'\{(OPT_[A-Z_]+),\s*((?:"[^"]*"\s*|\w+\s*)+)\}',tab):
    opt=m.group(1); parts=m.group(2)
    cmds=''.join(eval(macros.get(p,p)) for p in re.findall(r'"[^"]*"|\w+',parts))
    for c in cmds.split():
        h=subprocess.run([strata,c,'--help'],capture_output=True,text=True).stdout
        if '--'+names[opt] not in h: missing.append((c,'--'+names[opt]))
for c,o in missing: print(c,o)
