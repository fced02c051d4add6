import { Global, Module } from '@nestjs/common';
import { PrismaService, openDatabaseProvider } from './prisma.service';

@Global()
@Module({ providers: [openDatabaseProvider, PrismaService], exports: [PrismaService] })
export class DatabaseModule {}
