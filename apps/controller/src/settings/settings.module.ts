import { Global, Module } from '@nestjs/common';
import { loadSettings } from './settings';

export const SETTINGS = Symbol('SETTINGS');

@Global()
@Module({ providers: [{ provide: SETTINGS, useFactory: () => loadSettings(process.env) }], exports: [SETTINGS] })
export class SettingsModule {}
