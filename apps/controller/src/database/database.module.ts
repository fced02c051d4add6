import { DynamicModule, Global, Module } from '@nestjs/common';
import type { OpenDatabase } from './open-database';
import { PrismaService } from './prisma.service';

@Global()
@Module({})
export class DatabaseModule {
  /** The database is opened and migrated before Nest starts (serve.ts). */
  static forRoot(db: OpenDatabase): DynamicModule {
    return { module: DatabaseModule, providers: [{ provide: 'OPEN_DATABASE', useValue: db }, PrismaService], exports: [PrismaService] };
  }
}
