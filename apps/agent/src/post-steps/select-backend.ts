import type { AgentSettings } from '../cli/settings';
import { daemontoolsBackend } from './daemontools-backend';
import { initScriptBackend } from './init-script-backend';
import { pidfileBackend } from './pidfile-backend';
import { noServiceBackend, type ServiceBackend } from './service-backend';
import { systemdBackend } from './systemd-backend';

/** The backend that --service names; parseSettings has already checked that its flags are there. */
export function serviceBackendFor(settings: Pick<AgentSettings, 'service' | 'serviceDir' | 'systemdUnit' | 'initScript' | 'pidfile' | 'startCommand'>): ServiceBackend {
  switch (settings.service) {
    case 'daemontools':
      return daemontoolsBackend(settings.serviceDir!);
    case 'systemd':
      return systemdBackend(settings.systemdUnit);
    case 'init':
      return initScriptBackend(settings.initScript!, settings.pidfile);
    case 'pidfile':
      return pidfileBackend(settings.pidfile!, settings.startCommand);
    case 'none':
      return noServiceBackend;
  }
}
