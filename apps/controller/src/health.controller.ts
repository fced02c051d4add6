import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from './auth/actor.decorator';
import { PrismaService } from './database/prisma.service';
import { AgentSessions } from './agents/agent-sessions';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sessions: AgentSessions,
  ) {}

  @Get()
  @Public()
  async health() {
    await this.prisma.$queryRaw`SELECT 1`;
    return { ok: true, database: this.prisma.kind, agentsConnected: this.sessions.count() };
  }
}
