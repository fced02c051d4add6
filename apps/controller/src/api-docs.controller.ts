import { Controller, Get, Injectable, NotFoundException } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiOperation, ApiTags, type OpenAPIObject } from '@nestjs/swagger';
import { Public } from './auth/actor.decorator';

/** The OpenAPI description, built once the routes are known (serve.ts). */
@Injectable()
export class OpenApiDocument {
  document?: OpenAPIObject;
}

/**
 * The API's description takes a token like the API it describes (it lists every route and
 * field an attacker would probe). The Swagger UI, which a browser opens without a bearer
 * header, is served only with QFLEET_API_DOCS=1.
 */
@ApiTags('health')
@ApiBearerAuth()
@Controller()
export class ApiDocsController {
  constructor(private readonly openapi: OpenApiDocument) {}

  @Get('openapi.json')
  @ApiOperation({ summary: 'The OpenAPI description of this API' })
  get(): OpenAPIObject {
    if (!this.openapi.document) throw new NotFoundException('the API description is not built yet');
    return this.openapi.document;
  }

  /** Reached only when the Swagger UI is off (its own route comes first when it is on). */
  @Get('docs')
  @Public()
  @ApiExcludeEndpoint()
  docsOff(): never {
    throw new NotFoundException('the Swagger UI is off (QFLEET_API_DOCS=1 turns it on); GET /api/openapi.json with a token gives the description');
  }
}
