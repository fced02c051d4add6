#!/bin/sh
# Prisma's CLI wants a native schema engine that cannot be downloaded here. `prisma generate`
# only needs this path to exist; any migrate command must go through our WebAssembly tool.
echo "prisma's native schema engine is not used in qfleet: use npm run db:migrate / db:migration" >&2
exit 1
